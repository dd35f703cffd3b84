package probeconfig

import (
	"errors"
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

// ParseConfig decodes and validates a config file's content. Decoding is
// strict: an unknown field, such as a probe kind this build does not know,
// is an error rather than a probe silently doing nothing.
func ParseConfig(data []byte) (*Config, error) {
	// An empty file is what a reader may see in the middle of a non-atomic
	// write; taking it for "no probes" would stop every probe.
	if len(data) == 0 {
		return nil, errors.New("config is empty")
	}
	var c Config
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// LoadConfig reads and parses the config file at path.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}
