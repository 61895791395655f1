package asl

// Machine is a parsed, validated state machine. It is immutable and may run
// any number of executions concurrently.
type Machine struct {
	root           *graph
	timeoutSeconds int64
}

type graph struct {
	startAt string
	states  map[string]*state
}

type optPath struct {
	set  bool
	null bool
	p    *path
}

type state struct {
	name, typ  string
	next       string
	end        bool
	inputPath  optPath
	outputPath optPath
	resultPath optPath

	parameters     *tmpl
	resultSelector *tmpl
	itemSelector   *tmpl
	assign         *tmpl
	result         any
	hasResult      bool

	// Task
	resource         string
	timeoutSeconds   int64
	heartbeatSeconds int64
	timeoutPath      *path
	heartbeatPath    *path
	retry            []*retrier
	catch            []*catcher

	// Choice
	choices     []*choiceRule
	defaultNext string

	// Wait
	seconds       *int64
	timestamp     string
	secondsPath   *path
	timestampPath *path

	// Fail
	errorStr, causeStr   *string
	errorPath, causePath *tmpl

	// Parallel
	branches []*graph

	// Map
	processor           *graph
	distributed         bool
	label               string // Label: the map run ARN's label
	itemsPath           *path
	maxConcurrency      int64
	maxConcurrencyPath  *path
	tolCount            *int64
	tolCountPath        *path
	tolPercent          *float64
	tolPercentPath      *path
	hasItemReader       bool
	legacyParametersMap bool
	batcher             *batcher // ItemBatcher

	// jsonata marks a state in the JSONata query language; its fields
	// are the j* ones below (nil when absent), never the JSONPath ones.
	jsonata     bool
	jarguments  *jtmpl
	joutput     *jtmpl
	jassign     *jtmpl
	jitems      *jtmpl
	jitemSel    *jtmpl
	jtimeout    *jtmpl // TimeoutSeconds as an expression
	jheartbeat  *jtmpl // HeartbeatSeconds as an expression
	jseconds    *jtmpl // Wait Seconds as an expression
	jtimestamp  *jtmpl // Wait Timestamp as an expression
	jerror      *jtmpl // Fail Error as an expression
	jcause      *jtmpl // Fail Cause as an expression
	jmaxConc    *jtmpl // MaxConcurrency as an expression
	jtolCount   *jtmpl // ToleratedFailureCount as an expression
	jtolPercent *jtmpl // ToleratedFailurePercentage as an expression
}

type retrier struct {
	errorEquals []string
	interval    float64
	maxAttempts int64
	backoff     float64
	maxDelay    float64
	hasMaxDelay bool
	jitterFull  bool
}

type catcher struct {
	errorEquals []string
	resultPath  optPath
	next        string
	assign      *tmpl
	// A JSONata catcher's Output and Assign.
	joutput, jassign *jtmpl
}

// tmpl is a compiled payload template (Parameters, ResultSelector,
// ItemSelector, Assign): literals with "key.$" fields holding paths or
// intrinsic functions.
type tmpl struct {
	lit    any
	fields []tfield
	items  []*tmpl
	kind   int
	path   *path
	call   *call
	field  string // "key.$", for error messages
}

const (
	tLit = iota
	tObj
	tArr
	tPath
	tCall
)

type tfield struct {
	key string
	t   *tmpl
}
