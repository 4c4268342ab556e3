package main

import (
	"strings"
	"testing"
)

func TestS3GatewayConfig(t *testing.T) {
	p := writeFile(t, `{"s3_gateway": {"listen": "127.0.0.1:9000", "upstream": "http://127.0.0.1:5000",
	  "upstream_access_key_id": "up", "domains": ["s3.example.com"]}}`)
	t.Setenv(upstreamSecretEnv, "from-the-environment")
	cfg, err := parseServeFlags([]string{"--config", p, "--s3-upstream", "https://minio.internal:9000"})
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.S3Gateway
	if g.Listen != "127.0.0.1:9000" || g.Upstream != "https://minio.internal:9000" || g.UpstreamSecretAccessKey != "from-the-environment" ||
		len(g.Domains) != 1 {
		t.Fatalf("s3_gateway = %+v (the flag overrides the file; the secret may come from the environment)", g)
	}
	t.Setenv(upstreamSecretEnv, "")
	for _, c := range []struct{ body, want string }{
		{`{"s3_gateway": {"listen": "127.0.0.1:9000"}}`, "--s3-upstream"},
		{`{"s3_gateway": {"listen": "127.0.0.1:9000", "upstream": "ftp://x"}}`, "s3_gateway.upstream"},
		{`{"s3_gateway": {"listen": "127.0.0.1:9000", "upstream": "http://x/path"}}`, "s3_gateway.upstream"},
		{`{"s3_gateway": {"listen": "127.0.0.1:9000", "upstream": "http://x"}}`, "upstream_secret_access_key"},
		{`{"s3_gateway": {"listen": "nope", "upstream": "http://x"}}`, "s3_gateway.listen"},
		{`{"s3_gateway": {"listen": "127.0.0.1:9000", "upstream": "http://x", "upstream_access_key_id": "a",
		   "upstream_secret_access_key": "b", "domains": ["s3.example.com/x"]}}`, "s3_gateway.domains"},
		{`{"s3_gateway": {"listen": "127.0.0.1:9000", "upstrem": "http://x"}}`, `unknown field "upstrem"`},
	} {
		_, err := parseServeFlags([]string{"--config", writeFile(t, c.body)})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("config %s: err = %v, want it to mention %q", c.body, err, c.want)
		}
	}
	// Without a listener there is no gateway, and nothing else is needed.
	if _, err := parseServeFlags([]string{"--s3-upstream", "http://x"}); err != nil {
		t.Fatalf("an upstream without a listener: %v", err)
	}
}
