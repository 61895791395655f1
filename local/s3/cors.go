package s3

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// CORSRule is one rule of a bucket's CORS configuration, with S3's
// semantics: the first rule matching the origin, method and requested
// headers answers; an origin or header may contain one "*" wildcard.
type CORSRule struct {
	ID             string   `json:"id,omitempty"`
	AllowedOrigins []string `json:"allowedOrigins"`
	AllowedMethods []string `json:"allowedMethods"`
	AllowedHeaders []string `json:"allowedHeaders,omitempty"`
	ExposeHeaders  []string `json:"exposeHeaders,omitempty"`
	MaxAgeSeconds  int      `json:"maxAgeSeconds,omitempty"`
}

// BrowserUploadCORS is the rule a bucket needs for the web client at
// origins to upload with a presigned POST and read the result: the
// preflight of a multipart form POST, and ETag and Location exposed so the
// page can tell which object it created.
func BrowserUploadCORS(origins ...string) CORSRule {
	return CORSRule{
		AllowedOrigins: origins,
		AllowedMethods: []string{"GET", "HEAD", "POST", "PUT"},
		AllowedHeaders: []string{"*"},
		ExposeHeaders:  []string{"ETag", "Location", "x-amz-request-id"},
		MaxAgeSeconds:  3000,
	}
}

// SetCORS replaces bucket's CORS rules; nil removes them, which makes every
// cross-origin request to the bucket fail as it does on S3.
func (s *Server) SetCORS(bucket string, rules []CORSRule) error {
	if e := validateCORS(rules); e != nil {
		return fmt.Errorf("CORS rules for bucket %q: %w", bucket, e)
	}
	s.corsMu.Lock()
	defer s.corsMu.Unlock()
	if len(rules) == 0 {
		delete(s.cors, bucket)
	} else {
		s.cors[bucket] = rules
	}
	if s.opts.Dir == "" {
		return nil
	}
	b, err := json.Marshal(s.cors)
	if err != nil {
		return err
	}
	if err := writeFileDurable(filepath.Join(s.opts.Dir, "cors.json"), b); err != nil {
		return fmt.Errorf("saving CORS configuration: %w", err)
	}
	return nil
}

func (s *Server) loadCORS() error {
	b, err := os.ReadFile(filepath.Join(s.opts.Dir, "cors.json"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading CORS configuration: %w", err)
	}
	if err := json.Unmarshal(b, &s.cors); err != nil {
		return fmt.Errorf("reading CORS configuration: %w", err)
	}
	return nil
}

// wildcardMatch matches s against a pattern with at most one "*".
func wildcardMatch(pattern, s string) bool {
	before, after, ok := strings.Cut(pattern, "*")
	if !ok {
		return pattern == s
	}
	return len(s) >= len(before)+len(after) && strings.HasPrefix(s, before) && strings.HasSuffix(s, after)
}

func (r CORSRule) allowsOrigin(origin string) bool {
	for _, o := range r.AllowedOrigins {
		if wildcardMatch(o, origin) {
			return true
		}
	}
	return false
}

func (r CORSRule) allowsMethod(m string) bool {
	for _, a := range r.AllowedMethods {
		if a == m {
			return true
		}
	}
	return false
}

func (r CORSRule) allowsHeader(h string) bool {
	for _, a := range r.AllowedHeaders {
		if wildcardMatch(strings.ToLower(a), strings.ToLower(h)) {
			return true
		}
	}
	return false
}

func (s *Server) match(bucket, origin, method string, headers []string) (CORSRule, bool) {
	s.corsMu.RLock()
	defer s.corsMu.RUnlock()
	for _, r := range s.cors[bucket] {
		if !r.allowsOrigin(origin) || !r.allowsMethod(method) {
			continue
		}
		ok := true
		for _, h := range headers {
			if !r.allowsHeader(h) {
				ok = false
				break
			}
		}
		if ok {
			return r, true
		}
	}
	return CORSRule{}, false
}

// allowOrigin is what S3 puts in Access-Control-Allow-Origin: "*" for a
// rule that allows any origin, otherwise the request's origin.
func (r CORSRule) allowOrigin(origin string) (string, bool) {
	for _, o := range r.AllowedOrigins {
		if o == "*" {
			return "*", false
		}
	}
	return origin, true
}

// preflight answers an OPTIONS request from the bucket's CORS rules.
// Preflights are unsigned on S3 too.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request, bucket string) {
	origin := r.Header.Get("Origin")
	method := r.Header.Get("Access-Control-Request-Method")
	if origin == "" {
		s.writeError(w, r, &s3Error{http.StatusBadRequest, "BadRequest", "Insufficient information. Origin request header needed."})
		return
	}
	if method == "" {
		s.writeError(w, r, &s3Error{http.StatusBadRequest, "BadRequest", "Invalid Access-Control-Request-Method: null"})
		return
	}
	var headers []string
	for _, v := range r.Header.Values("Access-Control-Request-Headers") {
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				headers = append(headers, strings.ToLower(h))
			}
		}
	}
	h := w.Header()
	h.Set("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
	if bucket == "" {
		s.writeError(w, r, &s3Error{http.StatusForbidden, "CORSResponse", "CORS is not enabled for this bucket."})
		return
	}
	rule, ok := s.match(bucket, origin, method, headers)
	if !ok {
		s.corsMu.RLock()
		_, configured := s.cors[bucket]
		s.corsMu.RUnlock()
		if !configured {
			s.writeError(w, r, &s3Error{http.StatusForbidden, "CORSResponse", "CORS is not enabled for this bucket."})
			return
		}
		s.writeError(w, r, &s3Error{http.StatusForbidden, "CORSResponse", "This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."})
		return
	}
	allow, creds := rule.allowOrigin(origin)
	h.Set("Access-Control-Allow-Origin", allow)
	if creds {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Set("Access-Control-Allow-Methods", strings.Join(rule.AllowedMethods, ", "))
	if len(headers) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(headers, ", "))
	}
	if len(rule.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(rule.ExposeHeaders, ", "))
	}
	if rule.MaxAgeSeconds > 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(rule.MaxAgeSeconds))
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// corsHeaders returns the CORS headers for an actual (non-preflight)
// cross-origin request, or nil when no rule allows it.
func (s *Server) corsHeaders(r *http.Request, bucket string) http.Header {
	origin := r.Header.Get("Origin")
	if origin == "" || bucket == "" {
		return nil
	}
	h := http.Header{}
	h.Set("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
	rule, ok := s.match(bucket, origin, r.Method, nil)
	if !ok {
		return h
	}
	allow, creds := rule.allowOrigin(origin)
	h.Set("Access-Control-Allow-Origin", allow)
	if creds {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Set("Access-Control-Allow-Methods", strings.Join(rule.AllowedMethods, ", "))
	if len(rule.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(rule.ExposeHeaders, ", "))
	}
	if rule.MaxAgeSeconds > 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(rule.MaxAgeSeconds))
	}
	return h
}
