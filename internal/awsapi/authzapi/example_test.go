package authzapi_test

import (
	"log"
	"net"
	"net/http"
	"os"

	"github.com/gatehouse/gatehouse/internal/awsapi/authzapi"
	"github.com/gatehouse/gatehouse/internal/sigv4"
)

// Example protects a service's own files with Gatehouse's decisions: its
// clients sign their requests with the temporary credentials Gatehouse
// issued them (as for S3: `aws s3 cp --endpoint-url …`), and the service
// forwards each request's facts to the authorization API before serving
// it. Gatehouse verifies the signature, checks the session and evaluates
// the user's permission set.
func Example() {
	gatehouse := &authzapi.Client{
		Endpoint: "https://sso.example.com",
		Region:   "us-east-1",
		// The service's own administrator key.
		Credentials: sigv4.Credentials{AccessKeyID: os.Getenv("GATEHOUSE_ACCESS_KEY_ID"), SecretAccessKey: os.Getenv("GATEHOUSE_SECRET_ACCESS_KEY")},
	}
	files := http.FileServer(http.Dir("/srv/reports"))
	protected := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip, _, _ := net.SplitHostPort(r.RemoteAddr)
		out, err := gatehouse.AuthorizeRequest(r.Context(), r, "", "s3", "s3:GetObject",
			"arn:aws:s3:::reports"+r.URL.Path, map[string][]string{"aws:SourceIp": {ip}})
		switch {
		case err != nil:
			http.Error(w, "authorization unavailable", http.StatusServiceUnavailable) // fail closed
		case out.Error != nil: // the signature or the credentials did not hold
			http.Error(w, out.Error.Code+": "+out.Error.Message, out.Error.HTTPStatus)
		case !out.Allowed:
			http.Error(w, "AccessDenied", http.StatusForbidden)
		default:
			log.Printf("%s allowed by %s statement %d", out.Principal.Arn, out.DecidingStatement.Policy, out.DecidingStatement.Index)
			files.ServeHTTP(w, r)
		}
	})
	_ = http.ListenAndServe(":9000", protected)
}
