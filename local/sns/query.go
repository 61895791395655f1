package sns

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"thumbflow/local/awsjson"
	"thumbflow/local/sigv4"
)

// xmlns is the namespace of SNS's query-protocol answers.
const xmlns = "http://sns.amazonaws.com/doc/2010-03-31/"

// maxRequestBytes bounds a request: a message is at most 256 KiB, and form
// encoding may triple it.
const maxRequestBytes = 1 << 20

// Error is an SNS API error: Type is Sender or Receiver.
type Error struct {
	Code, Message string
	Status        int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errorf(status int, code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: status}
}

func invalidParam(format string, args ...any) *Error {
	return errorf(http.StatusBadRequest, "InvalidParameter", "Invalid parameter: "+format, args...)
}

func notFound(what string) *Error {
	return errorf(http.StatusNotFound, "NotFound", "%s does not exist", what)
}

// form is a query request's parameters.
type form url.Values

func (f form) get(k string) string { return url.Values(f).Get(k) }

// entries reads "Prefix.entry.N.key"/".value" maps (CreateTopic's and
// Subscribe's Attributes).
func (f form) entries(prefix, key, value string) map[string]string {
	out := map[string]string{}
	for i := 1; ; i++ {
		p := prefix + ".entry." + strconv.Itoa(i) + "."
		k := f.get(p + key)
		if k == "" {
			return out
		}
		out[k] = f.get(p + value)
	}
}

// ServeHTTP answers SNS's query protocol: a form-encoded POST naming the
// Action, answered in XML.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, errorf(http.StatusMethodNotAllowed, "InvalidAction", "SNS accepts POST requests only"))
		return
	}
	if r.ContentLength > maxRequestBytes {
		writeError(w, errorf(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Request must be smaller than %d bytes", maxRequestBytes))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
	if s.opts.Verifier != nil {
		if err := s.opts.Verifier.Verify(r, SigningName); err != nil {
			writeError(w, authError(err))
			return
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, errorf(http.StatusBadRequest, "InvalidParameter", "reading request body: %v", err))
		return
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		writeError(w, invalidParam("malformed form body: %v", err))
		return
	}
	f := form(vals)
	action := f.get("Action")
	op, ok := s.operations()[action]
	if !ok {
		writeError(w, errorf(http.StatusBadRequest, "InvalidAction", "The action %s is not valid for the local SNS", action))
		return
	}
	if s.opts.Authorize != nil {
		if arn := f.get("TopicArn"); arn != "" || action == "CreateTopic" || strings.HasPrefix(action, "List") {
			if arn == "" {
				arn = s.topicARN(cmp(f.get("Name"), "*"))
			}
			if err := s.opts.Authorize(r, "sns:"+action, arn); err != nil {
				writeError(w, errorf(http.StatusForbidden, "AuthorizationError", "%v", err))
				return
			}
		}
	}
	result, err := op(r, f)
	if err != nil {
		writeError(w, err)
		return
	}
	inner, err := xml.Marshal(result)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%sResponse xmlns="%s">%s<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`,
		action, xmlns, inner, randomID(), action)
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// authError renders a verifier's failure in SNS's dialect.
func authError(err error) *Error {
	var se *sigv4.Error
	if errors.As(err, &se) && se.Code == "RequestEntityTooLarge" {
		return errorf(se.Status, se.Code, "%s", se.Message)
	}
	e := awsjson.AuthError(err)
	status := e.Status
	if status == http.StatusBadRequest {
		status = http.StatusForbidden
	}
	return errorf(status, e.Code, "%s", e.Message)
}

func writeError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = errorf(http.StatusInternalServerError, "InternalError", "%v", err)
	}
	typ := "Sender"
	if e.Status >= 500 {
		typ = "Receiver"
	}
	var msg strings.Builder
	xml.EscapeText(&msg, []byte(e.Message))
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(e.Status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
		xmlns, typ, e.Code, msg.String(), randomID())
}

// attributeEntries renders a map as the query protocol's entry list.
type attributeEntries map[string]string

func (m attributeEntries) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	type entry struct {
		Key   string `xml:"key"`
		Value string `xml:"value"`
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var list struct {
		Entries []entry `xml:"entry"`
	}
	for _, k := range keys {
		list.Entries = append(list.Entries, entry{k, m[k]})
	}
	return e.EncodeElement(list, start)
}
