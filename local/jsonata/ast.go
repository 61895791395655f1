package jsonata

type nodeType int

const (
	ntPath nodeType = iota
	ntBinary
	ntNeg
	ntArray
	ntObject
	ntName
	ntString
	ntNumber
	ntValue
	ntWildcard
	ntDescendant
	ntParent
	ntCondition
	ntCoalesce
	ntBlock
	ntBind
	ntRegex
	ntFunction
	ntPartial
	ntVariable
	ntLambda
	ntApply
	ntTransform
	ntSort
	ntPlaceholder
	ntEnd // end of input where an operand was expected
	// raw parse nodes, rewritten by process
	ntPredicate // lhs[rhs]
	ntGroup     // lhs{pairs}
	ntOrderBy   // lhs^(terms)
	ntFocus     // lhs@$v
	ntIndex     // lhs#$v
)

// slot names a parent (%) reference: the tuple label its ancestor is bound
// under, and how many steps up it still has to climb.
type slot struct {
	label string
	level int
	index int
}

type stage struct {
	filter *node  // predicate expression, or nil
	index  string // #$var binding, when filter is nil
	pos    int
}

type sortTerm struct {
	desc bool
	expr *node
}

type groupExpr struct {
	pairs [][2]*node
	pos   int
}

// typeName is the node type as jsonata-js names it in error tokens.
func (n *node) typeName() string {
	names := map[nodeType]string{ntPath: "path", ntBinary: "binary", ntNeg: "unary", ntArray: "unary",
		ntObject: "unary", ntName: "name", ntString: "string", ntNumber: "number", ntValue: "value",
		ntWildcard: "wildcard", ntDescendant: "descendant", ntParent: "parent", ntCondition: "condition",
		ntCoalesce: "condition", ntBlock: "block", ntBind: "bind", ntRegex: "regex", ntFunction: "function",
		ntPartial: "partial", ntVariable: "variable", ntLambda: "lambda", ntApply: "apply",
		ntTransform: "transform", ntSort: "sort"}
	return names[n.typ]
}

// node is one AST node. Only the fields its type uses are set.
type node struct {
	typ nodeType
	op  string
	pos int
	str string // name, string literal, variable name, operator
	num float64
	val any

	lhs, rhs *node
	items    []*node // array items, block expressions, path steps, call args
	pairs    [][2]*node

	// step annotations
	predicate          []stage
	stages             []stage
	group              *groupExpr
	focus              string
	index              string
	tuple              bool
	ancestor           *slot
	keepArray          bool
	consarray          bool
	keepSingletonArray bool
	seekingParent      []*slot
	slot               *slot

	cond, then, els *node
	proc            *node
	params          []string
	sig             *signature
	body            *node
	thunk           bool
	terms           []sortTerm
	pattern         *node
	update          *node
	del             *node
	re              *regexValue
}
