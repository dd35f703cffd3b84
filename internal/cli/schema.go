package cli

import (
	"context"
	"fmt"
	"io/fs"
	"sort"

	"k8s.io/apiextensions-apiserver/pkg/apihelpers"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"

	crds "github.com/journeymap/journey-operator/config/crd"
)

// crdValidator validates one kind the way the apiserver's custom resource
// handler does on create: prune unknown fields (reporting them), apply the
// schema's defaults, then run the OpenAPI schema validation, the embedded
// ObjectMeta and list-type checks and the CEL rules, in that order and with
// the same libraries (k8s.io/apiextensions-apiserver at the version go.mod
// pins), so that lint and the apiserver agree on verdict and message.
type crdValidator struct {
	gvk        schema.GroupVersionKind
	namespaced bool
	structural *structuralschema.Structural
	schema     apiservervalidation.SchemaValidator
	cel        *cel.Validator
}

// schemaResult is what the apiserver would say about one object.
type schemaResult struct {
	// Unknown are the paths of fields the schema does not declare; the
	// apiserver drops them (and warns, or refuses under strict field
	// validation, kubectl's default).
	Unknown []string
	// Errors are the field errors of a create, each formatted as the
	// apiserver formats it in its Invalid response.
	Errors field.ErrorList
	// Object is the pruned and defaulted object, as the apiserver would
	// store it; valid only without Errors.
	Object map[string]any
}

// loadCRDValidators builds a validator for every served version of every
// CRD embedded from config/crd/bases.
func loadCRDValidators() (map[schema.GroupVersionKind]*crdValidator, error) {
	files, err := fs.Glob(crds.Bases, "bases/*.yaml")
	if err != nil {
		return nil, err
	}
	out := map[schema.GroupVersionKind]*crdValidator{}
	for _, file := range files {
		data, err := crds.Bases.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("reading embedded CRD %s: %w", file, err)
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(data, crd); err != nil {
			return nil, fmt.Errorf("decoding embedded CRD %s: %w", file, err)
		}
		for _, version := range crd.Spec.Versions {
			if !version.Served {
				continue
			}
			v, err := newCRDValidator(crd, version.Name)
			if err != nil {
				return nil, fmt.Errorf("CRD %s version %s: %w", crd.Name, version.Name, err)
			}
			out[v.gvk] = v
		}
	}
	return out, nil
}

// newCRDValidator mirrors how the apiextensions-apiserver prepares a CRD
// version for serving (customresource_handler.go, getOrCreateServingInfoFor).
func newCRDValidator(crd *apiextensionsv1.CustomResourceDefinition, version string) (*crdValidator, error) {
	validation, err := apihelpers.GetSchemaForVersion(crd, version)
	if err != nil {
		return nil, err
	}
	if validation == nil || validation.OpenAPIV3Schema == nil {
		return nil, fmt.Errorf("no OpenAPI schema")
	}
	internal := &apiextensions.CustomResourceValidation{}
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(validation, internal, nil); err != nil {
		return nil, fmt.Errorf("converting the schema: %w", err)
	}
	structural, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("the schema is not structural: %w", err)
	}
	structural = structural.DeepCopy()
	if err := structuraldefaulting.PruneDefaults(structural); err != nil {
		return nil, fmt.Errorf("pruning defaults: %w", err)
	}
	schemaValidator, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("building the schema validator: %w", err)
	}
	return &crdValidator{
		gvk:        schema.GroupVersionKind{Group: crd.Spec.Group, Version: version, Kind: crd.Spec.Names.Kind},
		namespaced: crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
		structural: structural,
		schema:     schemaValidator,
		cel:        cel.NewValidator(structural, true, celconfig.PerCallLimit),
	}, nil
}

// validate judges obj as a server-side create would. obj is modified:
// pruned and defaulted.
func (v *crdValidator) validate(obj map[string]any) schemaResult {
	var res schemaResult
	// The handler keeps apiVersion, kind and metadata aside while pruning
	// (unstructuredSchemaCoercer.apply); metadata is coerced on its own.
	apiVersion, kind, metadata := obj["apiVersion"], obj["kind"], obj["metadata"]
	res.Unknown = structuralpruning.PruneWithOptions(obj, v.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(obj, v.structural)
	obj["apiVersion"], obj["kind"] = apiVersion, kind
	if metadata != nil {
		obj["metadata"] = metadata
	}
	err, metaUnknown := schemaobjectmeta.CoerceWithOptions(nil, obj, v.structural, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		res.Errors = append(res.Errors, err)
		return res
	}
	res.Unknown = append(res.Unknown, metaUnknown...)
	sort.Strings(res.Unknown)
	structuraldefaulting.Default(obj, v.structural)

	res.Errors = append(res.Errors, v.validateMeta(obj)...)
	res.Errors = append(res.Errors, apiservervalidation.ValidateCustomResource(nil, obj, v.schema)...)
	res.Errors = append(res.Errors, schemaobjectmeta.Validate(context.Background(), nil, obj, v.structural, false)...)
	res.Errors = append(res.Errors, structurallisttype.ValidateListSetsAndMaps(nil, v.structural, obj)...)
	// As customResourceStrategy.Validate: CEL rules see only objects that
	// satisfy the schema's types, and say so when they were skipped.
	if blocked := blockingError(res.Errors); blocked != nil {
		res.Errors = append(res.Errors, blocked)
	} else {
		celErrs, _ := v.cel.Validate(context.Background(), nil, v.structural, obj, nil, celconfig.RuntimeCELCostBudget)
		res.Errors = append(res.Errors, celErrs...)
	}
	res.Object = obj
	return res
}

// validateMeta checks the name and the rest of ObjectMeta. Manifests often
// leave the namespace to kubectl's context, so a missing namespace is not
// an error here.
func (v *crdValidator) validateMeta(obj map[string]any) field.ErrorList {
	meta, _, err := schemaobjectmeta.GetObjectMeta(obj, false)
	if err != nil {
		return field.ErrorList{field.Invalid(field.NewPath("metadata"), obj["metadata"], err.Error())}
	}
	if v.namespaced && meta.Namespace == "" {
		meta.Namespace = "default"
	}
	return metavalidation.ValidateObjectMeta(meta, v.namespaced, metavalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
}

// blockingError is customResourceStrategy's hasBlockingErr: errors after
// which the apiserver does not run CEL rules.
func blockingError(errs field.ErrorList) *field.Error {
	for _, err := range errs {
		switch err.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation")
		}
	}
	return nil
}
