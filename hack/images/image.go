package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// imageSpec is one image: a binary of cmd/ alone on the base layer.
type imageSpec struct {
	name        string
	pkg         string
	description string
	// ports are the ports the binary listens on by default, read from its
	// flags' defaults in cmd/.
	ports []string
}

// imageSpecs are the images a release ships.
var imageSpecs = []imageSpec{
	{
		name:        "journey-operator",
		pkg:         "./cmd/journey-operator",
		description: "journey-operator manager: reconciles Personas, JourneyMaps and TouchpointMonitors",
		// --metrics-bind-address (HTTPS) and --health-probe-bind-address.
		ports: []string{"8443/tcp", "8081/tcp"},
	},
	{
		name:        "journey-probe",
		pkg:         "./cmd/journey-probe",
		description: "journey-probe: the collector running synthetic touchpoint checks",
		// --listen-address: /metrics, /healthz, /readyz.
		ports: []string{"9115/tcp"},
	},
	{
		name:        "kubectl-journey",
		pkg:         "./cmd/kubectl-journey",
		description: "kubectl-journey: the live journey maps served in the cluster (the chart's ui.enabled)",
		// The chart runs `map --port=8080`.
		ports: []string{"8080/tcp"},
	},
}

// The user every image runs as, distroless' "nonroot", which the chart's
// restricted securityContext (runAsNonRoot) requires to be numeric.
const (
	nonrootUID  = 65532
	nonrootHome = "/home/nonroot"
	caBundle    = "/etc/ssl/certs/ca-certificates.crt"
)

// refNameAnnotation names the image in an OCI layout's index.json.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// builtImage is one image written to a layout.
type builtImage struct {
	name, tag string
	// digest is the multi-architecture index's, the one to deploy.
	digest v1.Hash
	// layout is the OCI image layout directory.
	layout string
}

// buildImages builds every image for the platforms into out/<name>, an OCI
// image layout holding one image index, and returns what it built.
func buildImages(ctx context.Context, out string, m meta, plats []platform) ([]builtImage, error) {
	base, err := baseLayer(m.Created)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "journey-images-")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(tmp) }()

	var built []builtImage
	for _, spec := range imageSpecs {
		idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
		for _, p := range plats {
			bin := filepath.Join(tmp, spec.name+"_"+p.os+"_"+p.arch)
			if err := goBuild(ctx, spec.pkg, p, m.Version, bin); err != nil {
				return nil, err
			}
			img, err := assembleImage(spec, p, m, base, bin)
			if err != nil {
				return nil, fmt.Errorf("%s for %s: %w", spec.name, p, err)
			}
			size, err := compressedSize(img)
			if err != nil {
				return nil, err
			}
			fmt.Printf("%s %s: %.1f MiB compressed\n", spec.name, p, float64(size)/(1<<20))
			idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
				Add:        img,
				Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: p.os, Architecture: p.arch}},
			})
		}
		idx = mutate.Annotations(idx, annotations(spec, m)).(v1.ImageIndex)
		b, err := writeLayout(filepath.Join(out, spec.name), idx, m.tag())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", spec.name, err)
		}
		b.name = spec.name
		built = append(built, b)
	}
	return built, nil
}

// annotations are the OCI annotations of an image and its index; the
// config carries them as labels too, which is where most tools look.
func annotations(spec imageSpec, m meta) map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":       spec.name,
		"org.opencontainers.image.description": spec.description,
		"org.opencontainers.image.source":      source,
		"org.opencontainers.image.url":         source,
		"org.opencontainers.image.revision":    m.Revision,
		"org.opencontainers.image.version":     m.Version,
		"org.opencontainers.image.created":     m.Created.Format(time.RFC3339),
	}
}

// assembleImage puts one binary on the base layer.
func assembleImage(spec imageSpec, p platform, m meta, base v1.Layer, bin string) (v1.Image, error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	binLayer, err := tarLayer([]tarEntry{{name: spec.name, mode: 0o755, data: data}}, m.Created)
	if err != nil {
		return nil, err
	}
	ports := map[string]struct{}{}
	for _, port := range spec.ports {
		ports[port] = struct{}{}
	}
	anns := annotations(spec, m)
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: p.arch,
		OS:           p.os,
		Created:      v1.Time{Time: m.Created},
		// mutate.Append adds the layers' diff IDs; the type is the spec's
		// only one, which runtimes check.
		RootFS: v1.RootFS{Type: "layers"},
		Config: v1.Config{
			Entrypoint:   []string{"/" + spec.name},
			User:         fmt.Sprintf("%d:%d", nonrootUID, nonrootUID),
			WorkingDir:   nonrootHome,
			ExposedPorts: ports,
			Env:          []string{"SSL_CERT_FILE=" + caBundle},
			Labels:       anns,
		},
	})
	if err != nil {
		return nil, err
	}
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, History: v1.History{Created: v1.Time{Time: m.Created},
			CreatedBy: "hack/images: base (CA certificates, /etc/passwd with nonroot 65532, no shell)"}},
		mutate.Addendum{Layer: binLayer, History: v1.History{Created: v1.Time{Time: m.Created},
			CreatedBy: "hack/images: /" + spec.name + " (go build " + spec.pkg + ")"}},
	)
	if err != nil {
		return nil, err
	}
	return mutate.Annotations(img, anns).(v1.Image), nil
}

// compressedSize is what a node pulls: the config and the layers.
func compressedSize(img v1.Image) (int64, error) {
	m, err := img.Manifest()
	if err != nil {
		return 0, err
	}
	size := m.Config.Size
	for _, l := range m.Layers {
		size += l.Size
	}
	return size, nil
}

// writeLayout replaces dir with an OCI image layout holding idx, named tag.
func writeLayout(dir string, idx v1.ImageIndex, tag string) (builtImage, error) {
	if err := os.RemoveAll(dir); err != nil {
		return builtImage{}, err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return builtImage{}, err
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{refNameAnnotation: tag})); err != nil {
		return builtImage{}, err
	}
	digest, err := idx.Digest()
	if err != nil {
		return builtImage{}, err
	}
	return builtImage{tag: tag, digest: digest, layout: dir}, nil
}

// baseLayer is what distroless' static image gives a Go binary, and no
// more: CA certificates (Mozilla's, as Go's x509roots/fallback bundles
// them), /etc/passwd and /etc/group naming root and nonroot (65532) with
// /sbin/nologin, which does not exist (there is no shell), the nonroot
// home directory, /tmp, and nsswitch.conf so that Go's resolver reads
// /etc/hosts before DNS.
func baseLayer(created time.Time) (v1.Layer, error) {
	var certs bytes.Buffer
	for root := range bundle.Roots() {
		// A constraint (a distrust-after date) cannot be said in a PEM
		// file; leaving such roots out fails closed.
		if root.Constraint != nil {
			continue
		}
		if err := pem.Encode(&certs, &pem.Block{Type: "CERTIFICATE", Bytes: root.Certificate}); err != nil {
			return nil, err
		}
	}
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:%s:/sbin/nologin\n",
		nonrootUID, nonrootUID, nonrootHome)
	group := fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", nonrootUID)
	return tarLayer([]tarEntry{
		{name: "etc/", mode: 0o755},
		{name: "etc/group", mode: 0o644, data: []byte(group)},
		{name: "etc/nsswitch.conf", mode: 0o644, data: []byte("hosts: files dns\n")},
		{name: "etc/passwd", mode: 0o644, data: []byte(passwd)},
		{name: "etc/ssl/", mode: 0o755},
		{name: "etc/ssl/certs/", mode: 0o755},
		{name: caBundle[1:], mode: 0o644, data: certs.Bytes()},
		{name: "home/", mode: 0o755},
		{name: nonrootHome[1:] + "/", mode: 0o700, owner: nonrootUID},
		{name: "root/", mode: 0o700},
		{name: "tmp/", mode: 0o1777},
	}, created)
}

// tarEntry is a file, or a directory when its name ends in "/".
type tarEntry struct {
	name  string
	mode  int64
	owner int
	data  []byte
}

// writeTar writes entries sorted by name, all with the same modification
// time and no user or group names, so the bytes depend on the contents
// alone.
func writeTar(w io.Writer, entries []tarEntry, mtime time.Time) error {
	sorted := append([]tarEntry(nil), entries...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	tw := tar.NewWriter(w)
	for _, e := range sorted {
		hdr := &tar.Header{Name: e.name, Mode: e.mode, Uid: e.owner, Gid: e.owner, ModTime: mtime, Format: tar.FormatPAX}
		if e.name[len(e.name)-1] == '/' {
			hdr.Typeflag = tar.TypeDir
		} else {
			hdr.Typeflag, hdr.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(e.data); err != nil {
			return err
		}
	}
	return tw.Close()
}

// tarLayer is a gzip-compressed OCI layer of entries.
func tarLayer(entries []tarEntry, mtime time.Time) (v1.Layer, error) {
	var buf bytes.Buffer
	if err := writeTar(&buf, entries, mtime); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
}
