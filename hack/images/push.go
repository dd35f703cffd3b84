package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// pushImages pushes every image layout under out to registry, tagged as
// built. Credentials come from the Docker config file
// (~/.docker/config.json or $DOCKER_CONFIG), which needs no Docker.
func pushImages(ctx context.Context, out, registry string) error {
	for _, spec := range imageSpecs {
		idx, tag, err := readLayout(filepath.Join(out, spec.name))
		if err != nil {
			return fmt.Errorf("%s: %w (run make images first)", spec.name, err)
		}
		ref, err := name.NewTag(registry + "/" + spec.name + ":" + tag)
		if err != nil {
			return err
		}
		if err := remote.WriteIndex(ref, idx, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
			return fmt.Errorf("pushing %s: %w", ref, err)
		}
		digest, err := idx.Digest()
		if err != nil {
			return err
		}
		fmt.Printf("%s@%s\n", ref, digest)
	}
	return nil
}

// readLayout reads the one image index of a layout written by
// writeLayout, and its tag.
func readLayout(dir string) (idx v1.ImageIndex, tag string, err error) {
	top, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return nil, "", err
	}
	manifest, err := top.IndexManifest()
	if err != nil {
		return nil, "", err
	}
	if len(manifest.Manifests) != 1 {
		return nil, "", fmt.Errorf("%s holds %d images, want 1", dir, len(manifest.Manifests))
	}
	desc := manifest.Manifests[0]
	idx, err = top.ImageIndex(desc.Digest)
	if err != nil {
		return nil, "", err
	}
	return idx, desc.Annotations[refNameAnnotation], nil
}
