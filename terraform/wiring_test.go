package terraform_test

// These tests read the Terraform module in this directory with hashicorp/hcl (no provider, no
// AWS) and check that it is wired to the code: each function's environment is exactly what
// handler/config reads, with config's defaults; the bucket notification filters on the originals
// prefix; the functions run the zips `make package` writes; the function URL is IAM-authenticated
// and streaming; CloudFront holds both invoke permissions; IAM covers exactly the originals prefix
// (read) and the variant prefixes (read/write). The production settings of issue 11 too: numeric
// bounds equal to config's, WORK_TIMEOUT below the timeout, reserved concurrency, WAF / Origin
// Shield / v2 logs (off by default, in us-east-1), lifecycle, alarms on one topic, outputs,
// version pins and the promised 404 edge TTL.
//
// Expressions are evaluated as Terraform would with the variables' defaults. A reference to a
// resource or data source evaluates to a placeholder string such as
// "{{aws_s3_bucket.images.arn}}", so that ARNs built from it can be compared as text.
//
// Each check returns a list of problems; TestBrokenWiringIsCaught breaks a copy of the module in
// a temporary directory in several ways and requires the matching check to report it.

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/imgorigin/imgorigin/handler/config"
	"github.com/imgorigin/imgorigin/handler/meta"
	"github.com/imgorigin/imgorigin/handler/variantpath"
)

// The zips `make package` writes, relative to this directory.
var wantZip = map[string]string{
	"origin":  "../build/origin.zip",
	"prewarm": "../build/prewarm.zip",
}

// libvips' own variables, set beside config.Vars.
var vipsVars = []string{"VIPS_BLOCK_UNTRUSTED", "VIPS_CONCURRENCY"}

// What each function must get, besides vipsVars. Every name is one of config.Vars.
//   - S3_PATH_STYLE: for local S3-compatible servers only, never on AWS.
//   - CLOUDFRONT_DISTRIBUTION_ID: prewarm only (it invalidates; origin -> distribution -> origin
//     would be a cycle).
//   - PREWARM_SIZES, PREWARM_FORMATS: prewarm only (origin does not pre-warm).
//   - ERROR_CACHE_CONTROL: origin only (prewarm answers no HTTP requests).
//   - LRU_TTL: origin only (prewarm runs with LRU_BYTES=0, no in-process cache).
//   - WORK_TIMEOUT: origin only (it bounds a shared miss; prewarm serves none), below the
//     origin's timeout rather than config's default (checkWorkTimeout).
//   - CROP: both (pre-warm analyses once and records the point; a miss without a record does).
var wantEnv = map[string][]string{
	"origin": {
		config.EnvBucket, config.EnvOriginalsPrefix, config.EnvSizes, config.EnvJPEGQuality,
		config.EnvCacheControl, config.EnvErrorCache, config.EnvLRUBytes, "LRU_TTL",
		config.EnvMaxSourceBytes, config.EnvMaxSourcePixels, config.EnvMaxFrames, config.EnvWorkTimeout,
		config.EnvCrop,
	},
	"prewarm": {
		config.EnvBucket, config.EnvOriginalsPrefix, config.EnvSizes, config.EnvPrewarmSizes, config.EnvPrewarmFormats,
		config.EnvJPEGQuality, config.EnvCacheControl, config.EnvLRUBytes, config.EnvMaxSourceBytes,
		config.EnvMaxSourcePixels, config.EnvMaxFrames, config.EnvDistributionID, config.EnvCrop,
	},
}

// Config variables that no function gets on AWS.
var notOnAWS = []string{config.EnvPathStyle}

// ---- Loading and evaluating the module -----------------------------------------------------

type module struct {
	dir       string
	resources map[string]*hclsyntax.Block // "aws_lambda_function.origin"
	data      map[string]*hclsyntax.Block // "aws_iam_policy_document.origin"
	variables map[string]*hclsyntax.Block
	outputs   map[string]*hclsyntax.Block
	providers map[string]*hclsyntax.Block // by alias; "" is the default provider
	terraform []*hclsyntax.Block
	locals    map[string]hclsyntax.Expression
	all       []*hclsyntax.Block
	tree      refTree
	ctx       *hcl.EvalContext
}

func loadModule(dir string) (*module, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no *.tf files in %s", dir)
	}
	m := &module{
		dir:       dir,
		resources: map[string]*hclsyntax.Block{},
		data:      map[string]*hclsyntax.Block{},
		variables: map[string]*hclsyntax.Block{},
		outputs:   map[string]*hclsyntax.Block{},
		providers: map[string]*hclsyntax.Block{},
		locals:    map[string]hclsyntax.Expression{},
	}
	parser := hclparse.NewParser()
	var all []*hclsyntax.Block
	for _, f := range files {
		file, diags := parser.ParseHCLFile(f)
		if diags.HasErrors() {
			return nil, fmt.Errorf("parse %s: %s", f, diags.Error())
		}
		body := file.Body.(*hclsyntax.Body)
		for _, b := range body.Blocks {
			all = append(all, b)
			var dst map[string]*hclsyntax.Block
			var key string
			switch b.Type {
			case "resource":
				dst, key = m.resources, b.Labels[0]+"."+b.Labels[1]
			case "data":
				dst, key = m.data, b.Labels[0]+"."+b.Labels[1]
			case "variable":
				dst, key = m.variables, b.Labels[0]
			case "output":
				dst, key = m.outputs, b.Labels[0]
			case "terraform":
				m.terraform = append(m.terraform, b)
				continue
			case "provider":
				alias := ""
				if a, ok := b.Body.Attributes["alias"]; ok {
					v, diags := a.Expr.Value(nil)
					if diags.HasErrors() || v.Type() != cty.String {
						return nil, fmt.Errorf("provider %s: alias is not a string", b.Labels[0])
					}
					alias = v.AsString()
				}
				dst, key = m.providers, b.Labels[0]+"."+alias
			case "locals":
				for name, a := range b.Body.Attributes {
					if _, dup := m.locals[name]; dup {
						return nil, fmt.Errorf("local.%s defined twice", name)
					}
					m.locals[name] = a.Expr
				}
				continue
			default:
				continue
			}
			if _, dup := dst[key]; dup {
				return nil, fmt.Errorf("%s %s defined twice", b.Type, key)
			}
			dst[key] = b
		}
	}
	m.all = all
	ctx, err := m.buildContext(nil)
	if err != nil {
		return nil, err
	}
	m.ctx = ctx
	return m, nil
}

// with is the module evaluated with some variables set (as -var would), the rest at defaults.
func (m *module) with(vars map[string]cty.Value) (*module, error) {
	for name := range vars {
		if _, ok := m.variables[name]; !ok {
			return nil, fmt.Errorf("variable %q is not declared", name)
		}
	}
	ctx, err := m.buildContext(vars)
	if err != nil {
		return nil, err
	}
	c := *m
	c.ctx = ctx
	return &c, nil
}

func (m *module) buildContext(overrides map[string]cty.Value) (*hcl.EvalContext, error) {
	all := m.all
	vars := map[string]cty.Value{}
	for name, b := range m.variables {
		if v, ok := overrides[name]; ok {
			typ := cty.DynamicPseudoType
			if a, ok := b.Body.Attributes["type"]; ok {
				typ, _ = typeexpr.TypeConstraint(a.Expr)
			}
			cv, err := convert.Convert(v, typ)
			if err != nil {
				return nil, fmt.Errorf("variable %s: %v", name, err)
			}
			vars[name] = cv
			continue
		}
		typ := cty.DynamicPseudoType
		if a, ok := b.Body.Attributes["type"]; ok {
			t, diags := typeexpr.TypeConstraint(a.Expr)
			if diags.HasErrors() {
				return nil, fmt.Errorf("variable %s: type: %s", name, diags.Error())
			}
			typ = t
		}
		a, ok := b.Body.Attributes["default"]
		if !ok {
			vars[name] = cty.UnknownVal(typ)
			continue
		}
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() {
			return nil, fmt.Errorf("variable %s: default: %s", name, diags.Error())
		}
		cv, err := convert.Convert(v, typ)
		if err != nil {
			return nil, fmt.Errorf("variable %s: default does not fit its type: %v", name, err)
		}
		vars[name] = cv
	}

	if m.tree == nil {
		m.tree = m.placeholders(all)
	}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{
		"var":  cty.ObjectVal(vars),
		"path": cty.ObjectVal(map[string]cty.Value{"module": cty.StringVal("."), "root": cty.StringVal("."), "cwd": cty.StringVal(".")}),
	}, Functions: functions()}
	for root, n := range m.tree {
		ctx.Variables[root] = n.value([]string{root})
	}
	return m.evalLocals(ctx), nil
}

// placeholders: every reference to a resource or data source becomes a placeholder naming it.
func (m *module) placeholders(all []*hclsyntax.Block) refTree {
	tree := refTree{}
	for _, b := range all {
		walkExprs(b.Body, func(e hclsyntax.Expression) {
			for _, tr := range e.Variables() {
				switch tr.RootName() {
				case "var", "local", "path", "each", "count", "self", "terraform":
					continue
				}
				tree.add(attrPathIndexed(tr))
			}
		})
	}
	for _, e := range m.locals {
		for _, tr := range e.Variables() {
			if tr.RootName() != "var" && tr.RootName() != "local" && tr.RootName() != "path" {
				tree.add(attrPathIndexed(tr))
			}
		}
	}

	return tree
}

func (m *module) evalLocals(ctx *hcl.EvalContext) *hcl.EvalContext {
	// Locals may refer to each other: evaluate until nothing more can be.
	locals := map[string]cty.Value{}
	for progress := true; progress; {
		progress = false
		ctx.Variables["local"] = cty.ObjectVal(locals)
		for name, e := range m.locals {
			if _, done := locals[name]; done {
				continue
			}
			v, diags := e.Value(ctx)
			if diags.HasErrors() {
				continue
			}
			locals[name] = v
			progress = true
			ctx.Variables["local"] = cty.ObjectVal(locals)
		}
	}
	for name := range m.locals { // what cannot be evaluated here (e.g. split of a placeholder) is unknown
		if _, done := locals[name]; !done {
			locals[name] = cty.DynamicVal
		}
	}
	ctx.Variables["local"] = cty.ObjectVal(locals)
	return ctx
}

// refTree maps "aws_s3_bucket" -> "images" -> "arn" -> leaf. A resource with count, referred
// to as aws_sns_topic.alarms[0].arn, is a one-element tuple of such objects; its placeholders
// leave the index out ("{{aws_sns_topic.alarms.arn}}").
type refTree map[string]*refNode

type refNode struct {
	kids    refTree
	indexed bool
}

func (t refTree) add(path []string, indexed []bool) {
	if len(path) < 2 {
		return
	}
	n, ok := t[path[0]]
	if !ok {
		n = &refNode{kids: refTree{}}
		t[path[0]] = n
	}
	n.kids.addChild(path[1:], indexed[1:])
}

func (t refTree) addChild(path []string, indexed []bool) {
	if len(path) == 0 {
		return
	}
	n, ok := t[path[0]]
	if !ok {
		n = &refNode{kids: refTree{}}
		t[path[0]] = n
	}
	n.indexed = n.indexed || indexed[0]
	n.kids.addChild(path[1:], indexed[1:])
}

func (n *refNode) value(path []string) cty.Value {
	var v cty.Value
	if len(n.kids) == 0 {
		v = cty.StringVal("{{" + strings.Join(path, ".") + "}}")
	} else {
		attrs := map[string]cty.Value{}
		for k, sub := range n.kids {
			attrs[k] = sub.value(append(slices.Clone(path), k))
		}
		v = cty.ObjectVal(attrs)
	}
	if n.indexed {
		return cty.TupleVal([]cty.Value{v})
	}
	return v
}

// attrPath is the root and the attribute names of a traversal; index steps are left out.
func attrPath(tr hcl.Traversal) []string {
	p, _ := attrPathIndexed(tr)
	return p
}

// attrPathIndexed also reports, per name, whether an index follows it (x[0]).
func attrPathIndexed(tr hcl.Traversal) ([]string, []bool) {
	p := []string{tr.RootName()}
	idx := []bool{false}
	for _, step := range tr[1:] {
		switch s := step.(type) {
		case hcl.TraverseAttr:
			p = append(p, s.Name)
			idx = append(idx, false)
		case hcl.TraverseIndex:
			idx[len(idx)-1] = true
		default:
			return p, idx
		}
	}
	return p, idx
}

func walkExprs(body *hclsyntax.Body, fn func(hclsyntax.Expression)) {
	for name, a := range body.Attributes {
		if name == "depends_on" {
			continue
		}
		fn(a.Expr)
	}
	for _, b := range body.Blocks {
		walkExprs(b.Body, fn)
	}
}

func functions() map[string]function.Function {
	fake := func(name string) function.Function {
		return function.New(&function.Spec{
			Params: []function.Parameter{{Name: "path", Type: cty.String}},
			Type:   function.StaticReturnType(cty.String),
			Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
				return cty.StringVal(name + "(" + filepath.Clean(args[0].AsString()) + ")"), nil
			},
		})
	}
	tostring := function.New(&function.Spec{
		Params: []function.Parameter{{Name: "v", Type: cty.DynamicPseudoType, AllowNull: true}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return convert.Convert(args[0], cty.String)
		},
	})
	tonumber := function.New(&function.Spec{
		Params: []function.Parameter{{Name: "v", Type: cty.DynamicPseudoType, AllowNull: true}},
		Type:   function.StaticReturnType(cty.Number),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return convert.Convert(args[0], cty.Number)
		},
	})
	return map[string]function.Function{
		"can":              tryfunc.CanFunc,
		"regex":            stdlib.RegexFunc,
		"tonumber":         tonumber,
		"try":              tryfunc.TryFunc,
		"concat":           stdlib.ConcatFunc,
		"contains":         stdlib.ContainsFunc,
		"floor":            stdlib.FloorFunc,
		"join":             stdlib.JoinFunc,
		"jsonencode":       stdlib.JSONEncodeFunc,
		"length":           stdlib.LengthFunc,
		"max":              stdlib.MaxFunc,
		"merge":            stdlib.MergeFunc,
		"min":              stdlib.MinFunc,
		"split":            stdlib.SplitFunc,
		"tostring":         tostring,
		"file":             fake("file"),
		"replace":          stdlib.ReplaceFunc,
		"trimsuffix":       stdlib.TrimSuffixFunc,
		"filebase64sha256": fake("filebase64sha256"),
		"filemd5":          fake("filemd5"),
	}
}

func (m *module) eval(e hclsyntax.Expression) (cty.Value, error) {
	v, diags := e.Value(m.ctx)
	if diags.HasErrors() {
		return cty.NilVal, fmt.Errorf("%s", diags.Error())
	}
	return v, nil
}

// attr evaluates attribute name of block b; ok is false when b has no such attribute.
func (m *module) attr(b *hclsyntax.Block, name string) (v cty.Value, ok bool, err error) {
	a, ok := b.Body.Attributes[name]
	if !ok {
		return cty.NilVal, false, nil
	}
	v, err = m.eval(a.Expr)
	return v, true, err
}

func (m *module) str(b *hclsyntax.Block, name string) (string, error) {
	v, ok, err := m.attr(b, name)
	switch {
	case err != nil:
		return "", fmt.Errorf("%s: %v", name, err)
	case !ok:
		return "", fmt.Errorf("%s is not set", name)
	}
	return asString(v)
}

func (m *module) strList(b *hclsyntax.Block, name string) ([]string, error) {
	v, ok, err := m.attr(b, name)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s: %v", name, err)
	case !ok:
		return nil, nil
	}
	return asStrings(v)
}

func asString(v cty.Value) (string, error) {
	if v.IsNull() || !v.IsWhollyKnown() {
		return "", fmt.Errorf("value is null or unknown")
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil {
		return "", err
	}
	return s.AsString(), nil
}

func asStrings(v cty.Value) ([]string, error) {
	if v.IsNull() || !v.IsWhollyKnown() {
		return nil, fmt.Errorf("value is null or unknown")
	}
	l, err := convert.Convert(v, cty.List(cty.String))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range l.AsValueSlice() {
		out = append(out, e.AsString())
	}
	return out, nil
}

// refs lists what expression e refers to, as "aws_s3_bucket.images.arn", looking through locals.
func (m *module) refs(e hclsyntax.Expression) []string {
	seen := map[string]bool{}
	var out []string
	var visit func(hclsyntax.Expression)
	visit = func(e hclsyntax.Expression) {
		for _, tr := range e.Variables() {
			p := attrPath(tr)
			if p[0] == "local" && len(p) > 1 {
				if seen["local."+p[1]] {
					continue
				}
				seen["local."+p[1]] = true
				if le, ok := m.locals[p[1]]; ok {
					visit(le)
				}
				continue
			}
			out = append(out, strings.Join(p, "."))
		}
	}
	visit(e)
	return out
}

// refersTo reports whether attribute name of b refers (through locals) to something under prefix.
func (m *module) refersTo(b *hclsyntax.Block, name, prefix string) bool {
	a, ok := b.Body.Attributes[name]
	if !ok {
		return false
	}
	for _, r := range m.refs(a.Expr) {
		if r == prefix || strings.HasPrefix(r, prefix+".") {
			return true
		}
	}
	return false
}

// isTraversal reports whether attribute name of b is exactly the reference want (e.g. "var.x").
func isTraversal(b *hclsyntax.Block, name, want string) bool {
	a, ok := b.Body.Attributes[name]
	if !ok {
		return false
	}
	st, ok := a.Expr.(*hclsyntax.ScopeTraversalExpr)
	return ok && strings.Join(attrPath(st.Traversal), ".") == want
}

func (m *module) ofType(typ string) map[string]*hclsyntax.Block {
	out := map[string]*hclsyntax.Block{}
	for _, b := range m.resources {
		if b.Labels[0] == typ {
			out[b.Labels[1]] = b
		}
	}
	return out
}

func children(b *hclsyntax.Block, typ string) []*hclsyntax.Block {
	var out []*hclsyntax.Block
	for _, c := range b.Body.Blocks {
		if c.Type == typ {
			out = append(out, c)
		}
	}
	return out
}

func (m *module) varDefault(name string) (cty.Value, error) {
	vars := m.ctx.Variables["var"]
	if !vars.Type().HasAttribute(name) {
		return cty.NilVal, fmt.Errorf("variable %q is not declared", name)
	}
	return vars.GetAttr(name), nil
}

// ---- Checks --------------------------------------------------------------------------------

type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func (m *module) function(name string, p *problems) *hclsyntax.Block {
	b := m.resources["aws_lambda_function."+name]
	if b == nil {
		p.add("aws_lambda_function.%s is missing", name)
	}
	return b
}

// environment evaluates a function's environment variables.
func (m *module) environment(fn *hclsyntax.Block) (map[string]string, map[string]hclsyntax.Expression, error) {
	envs := children(fn, "environment")
	if len(envs) != 1 {
		return nil, nil, fmt.Errorf("want one environment block, have %d", len(envs))
	}
	a, ok := envs[0].Body.Attributes["variables"]
	if !ok {
		return nil, nil, fmt.Errorf("environment has no variables")
	}
	exprs := map[string]hclsyntax.Expression{}
	if oc, ok := a.Expr.(*hclsyntax.ObjectConsExpr); ok {
		for _, item := range oc.Items {
			k, diags := item.KeyExpr.Value(nil)
			if !diags.HasErrors() && k.Type() == cty.String {
				exprs[k.AsString()] = item.ValueExpr
			}
		}
	}
	v, err := m.eval(a.Expr)
	if err != nil {
		return nil, nil, err
	}
	if !v.CanIterateElements() {
		return nil, nil, fmt.Errorf("environment variables is not a map")
	}
	env := map[string]string{}
	for it := v.ElementIterator(); it.Next(); {
		k, val := it.Element()
		s, err := asString(val)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v", k.AsString(), err)
		}
		env[k.AsString()] = s
	}
	return env, exprs, nil
}

func checkEnvironment(m *module) problems {
	var p problems
	allowed := append(slices.Clone(config.Vars), vipsVars...)
	given := map[string]bool{}
	for _, name := range []string{"origin", "prewarm"} {
		fn := m.function(name, &p)
		if fn == nil {
			continue
		}
		env, exprs, err := m.environment(fn)
		if err != nil {
			p.add("%s: environment: %v", name, err)
			continue
		}
		var keys []string
		for k := range env {
			keys = append(keys, k)
			given[k] = true
			if !slices.Contains(allowed, k) {
				p.add("%s: %s is not read by the code (not in config.Vars or %v)", name, k, vipsVars)
			}
		}
		sort.Strings(keys)
		want := append(slices.Clone(wantEnv[name]), vipsVars...)
		for _, k := range want {
			if _, ok := env[k]; !ok {
				p.add("%s: %s is not set", name, k)
			}
		}
		for _, k := range keys {
			if slices.Contains(allowed, k) && !slices.Contains(want, k) {
				p.add("%s: %s is set but the function has no use for it", name, k)
			}
		}

		// The same Terraform variables feed the environment, the notification and IAM.
		if e, ok := exprs[config.EnvOriginalsPrefix]; !ok || !exprIs(e, "var.originals_prefix") {
			p.add("%s: ORIGINALS_PREFIX must be var.originals_prefix", name)
		}
		if e, ok := exprs[config.EnvBucket]; !ok || !slices.ContainsFunc(m.refs(e), func(r string) bool { return strings.HasPrefix(r, "aws_s3_bucket.images.") }) {
			p.add("%s: IMAGE_BUCKET must be the image bucket (aws_s3_bucket.images)", name)
		}
		if e, ok := exprs[config.EnvDistributionID]; ok && !slices.ContainsFunc(m.refs(e), func(r string) bool {
			return strings.HasPrefix(r, "aws_cloudfront_distribution.") && strings.HasSuffix(r, ".id")
		}) {
			p.add("%s: CLOUDFRONT_DISTRIBUTION_ID must be the id of the distribution", name)
		}

		// What the code makes of it: valid, and the defaults of handler/config.
		cfg, err := config.Load(func(k string) string { return env[k] })
		if err != nil {
			p.add("%s: config.Load rejects the environment: %v", name, err)
			continue
		}
		// Field by field, so that a setting added to config later is compared too.
		def := config.Default()
		if name == "prewarm" {
			def.LRUBytes = 0 // never serves reads; see lambda.tf
		} else {
			def.WorkTimeout = cfg.WorkTimeout // follows origin_timeout_s: checkWorkTimeout
		}
		cfg.Bucket, cfg.DistributionID = def.Bucket, def.DistributionID // placeholders of resources
		cv, dv := reflect.ValueOf(cfg), reflect.ValueOf(def)
		for i := range cv.NumField() {
			if !reflect.DeepEqual(cv.Field(i).Interface(), dv.Field(i).Interface()) {
				p.add("%s: config.%s is %v from the environment, want %v (handler/config's default)",
					name, cv.Type().Field(i).Name, cv.Field(i).Interface(), dv.Field(i).Interface())
			}
		}

		// The binary finds libheif's plugins beside libvips; a variable may only say the same.
		if v, ok := env["LIBHEIF_PLUGIN_PATH"]; ok && v != "/var/task/lib/heif-plugins" {
			p.add("%s: LIBHEIF_PLUGIN_PATH=%q: the zip's plugins are in /var/task/lib/heif-plugins (or leave it unset)", name, v)
		}
		if env["VIPS_BLOCK_UNTRUSTED"] != "1" {
			p.add("%s: VIPS_BLOCK_UNTRUSTED=%q, want 1", name, env["VIPS_BLOCK_UNTRUSTED"])
		}
		if n, err := strconv.Atoi(env["VIPS_CONCURRENCY"]); err != nil || n < 1 {
			p.add("%s: VIPS_CONCURRENCY=%q, want a whole number >= 1", name, env["VIPS_CONCURRENCY"])
		}
	}
	for _, k := range config.Vars {
		if !given[k] && !slices.Contains(notOnAWS, k) {
			p.add("config variable %s is set for no function", k)
		}
	}
	return p
}

func exprIs(e hclsyntax.Expression, want string) bool {
	st, ok := e.(*hclsyntax.ScopeTraversalExpr)
	return ok && strings.Join(attrPath(st.Traversal), ".") == want
}

func checkVariableDefaults(m *module) problems {
	var p problems
	want := map[string]cty.Value{
		"originals_prefix":    cty.StringVal(config.DefaultOriginalsPrefix),
		"jpeg_quality":        cty.NumberIntVal(config.DefaultJPEGQuality),
		"cache_control":       cty.StringVal(config.DefaultCacheControl),
		"error_cache_control": cty.StringVal(config.DefaultErrorCache),
		"lru_bytes":           cty.NumberIntVal(config.DefaultLRUBytes),
		"max_source_bytes":    cty.NumberIntVal(config.DefaultMaxSourceBytes),
		"max_source_pixels":   cty.NumberIntVal(config.DefaultMaxSourcePixels),
		"max_frames":          cty.NumberIntVal(config.DefaultMaxFrames),
		"crop":                cty.StringVal(string(config.DefaultCrop)),
	}
	for name, w := range want {
		v, err := m.varDefault(name)
		if err != nil {
			p.add("%v", err)
			continue
		}
		if !v.IsKnown() || v.IsNull() || !v.Equals(w).True() {
			p.add("var.%s defaults to %#v, handler/config to %#v", name, v, w)
		}
	}
	sizes, err := m.varDefault("sizes")
	if err == nil {
		var l []string
		if l, err = asStrings(sizes); err == nil && strings.Join(l, ",") != config.DefaultSizes {
			err = fmt.Errorf("defaults to %q, handler/config to %q", strings.Join(l, ","), config.DefaultSizes)
		}
	}
	if err != nil {
		p.add("var.sizes: %v", err)
	}
	if v, err := m.varDefault("prewarm_sizes"); err != nil || !v.IsNull() {
		p.add("var.prewarm_sizes must default to null (all of sizes, as in handler/config)")
	}
	return p
}

func checkNotification(m *module) problems {
	var p problems
	notes := m.ofType("aws_s3_bucket_notification")
	if len(notes) != 1 {
		p.add("want one aws_s3_bucket_notification, have %d", len(notes))
		return p
	}
	var note *hclsyntax.Block
	for _, b := range notes {
		note = b
	}
	if !m.refersTo(note, "bucket", "aws_s3_bucket.images") {
		p.add("the notification is not on the image bucket")
	}
	topics := children(note, "topic")
	if len(topics) != 1 || len(children(note, "lambda_function"))+len(children(note, "queue")) != 0 {
		p.add("want exactly one topic target in the notification")
		return p
	}
	t := topics[0]
	if !isTraversal(t, "filter_prefix", "var.originals_prefix") {
		p.add("filter_prefix must be var.originals_prefix (variant writes must not trigger pre-warm)")
	}
	if v, ok, err := m.attr(t, "filter_suffix"); ok && (err != nil || !v.IsNull()) {
		p.add("filter_suffix would drop originals of other extensions")
	}
	events, err := m.strList(t, "events")
	if err != nil {
		p.add("events: %v", err)
	}
	for _, e := range []string{"s3:ObjectCreated:*", "s3:ObjectRemoved:*"} {
		if !slices.Contains(events, e) {
			p.add("events lack %s", e)
		}
	}
	var topic string
	for _, r := range m.refs(t.Body.Attributes["topic_arn"].Expr) {
		if strings.HasPrefix(r, "aws_sns_topic.") && strings.HasSuffix(r, ".arn") {
			topic = strings.TrimSuffix(r, ".arn")
		}
	}
	if topic == "" {
		p.add("topic_arn is not the arn of an aws_sns_topic")
		return p
	}
	subscribed := false
	for _, s := range m.ofType("aws_sns_topic_subscription") {
		proto, _ := m.str(s, "protocol")
		if proto == "lambda" && m.refersTo(s, "topic_arn", topic) && m.refersTo(s, "endpoint", "aws_lambda_function.prewarm") {
			subscribed = true
		}
	}
	if !subscribed {
		p.add("the pre-warm function is not subscribed to %s", topic)
	}
	allowed := false
	for _, perm := range m.ofType("aws_lambda_permission") {
		principal, _ := m.str(perm, "principal")
		action, _ := m.str(perm, "action")
		if principal == "sns.amazonaws.com" && action == "lambda:InvokeFunction" &&
			m.refersTo(perm, "function_name", "aws_lambda_function.prewarm") && m.refersTo(perm, "source_arn", topic) {
			allowed = true
		}
	}
	if !allowed {
		p.add("no lambda permission lets %s invoke the pre-warm function", topic)
	}
	return p
}

func checkPackages(m *module) problems {
	var p problems
	for _, name := range []string{"origin", "prewarm"} {
		fn := m.function(name, &p)
		if fn == nil {
			continue
		}
		zip := wantZip[name]
		if s, err := m.str(fn, "handler"); err != nil || s != "bootstrap" {
			p.add("%s: handler %q (%v), want bootstrap", name, s, err)
		}
		if s, err := m.str(fn, "runtime"); err != nil || s != "provided.al2023" {
			p.add("%s: runtime %q (%v), want provided.al2023", name, s, err)
		}
		if arch, err := m.strList(fn, "architectures"); err != nil || !slices.Equal(arch, []string{"x86_64"}) {
			p.add("%s: architectures %v (%v), want [x86_64] by default (the zips are built for x86_64)", name, arch, err)
		}
		if _, ok := fn.Body.Attributes["filename"]; ok {
			p.add("%s: the zip (45-60 MB) must go through S3, not filename", name)
		}
		if s, err := m.str(fn, "source_code_hash"); err != nil || s != "filebase64sha256("+zip+")" {
			p.add("%s: source_code_hash %q (%v), want filebase64sha256 of %s", name, s, err, zip)
		}
		var obj string
		for _, r := range m.refs(fn.Body.Attributes["s3_key"].Expr) {
			if strings.HasPrefix(r, "aws_s3_object.") && strings.HasSuffix(r, ".key") {
				obj = strings.TrimSuffix(strings.TrimPrefix(r, "aws_s3_object."), ".key")
			}
		}
		if obj == "" || fn.Body.Attributes["s3_key"] == nil {
			p.add("%s: s3_key must be the key of an aws_s3_object uploading the zip", name)
			continue
		}
		if !m.refersTo(fn, "s3_bucket", "aws_s3_object."+obj) {
			p.add("%s: s3_bucket must be the bucket of aws_s3_object.%s", name, obj)
		}
		o := m.resources["aws_s3_object."+obj]
		if o == nil {
			p.add("%s: aws_s3_object.%s is missing", name, obj)
			continue
		}
		if s, err := m.str(o, "source"); err != nil || filepath.Clean(s) != zip {
			p.add("%s: aws_s3_object.%s uploads %q (%v), want %s", name, obj, s, err, zip)
		}
		if s, err := m.str(o, "source_hash"); err != nil || s != "filemd5("+zip+")" {
			p.add("%s: aws_s3_object.%s source_hash %q (%v), want filemd5 of %s", name, obj, s, err, zip)
		}
	}
	return p
}

func checkFunctionURL(m *module) problems {
	var p problems
	urls := m.ofType("aws_lambda_function_url")
	if len(urls) != 1 {
		p.add("want one aws_lambda_function_url, have %d", len(urls))
		return p
	}
	for _, u := range urls {
		if !m.refersTo(u, "function_name", "aws_lambda_function.origin") {
			p.add("the function URL is not the origin function's")
		}
		if s, err := m.str(u, "authorization_type"); err != nil || s != "AWS_IAM" {
			p.add("authorization_type %q (%v), want AWS_IAM", s, err)
		}
		if s, err := m.str(u, "invoke_mode"); err != nil || s != "RESPONSE_STREAM" {
			p.add("invoke_mode %q (%v), want RESPONSE_STREAM (lambdaurl streams)", s, err)
		}
	}
	return p
}

func checkCloudFront(m *module) problems {
	var p problems
	dists := m.ofType("aws_cloudfront_distribution")
	if len(dists) != 1 {
		p.add("want one aws_cloudfront_distribution, have %d", len(dists))
		return p
	}
	var distName string
	var dist *hclsyntax.Block
	for n, b := range dists {
		distName, dist = "aws_cloudfront_distribution."+n, b
	}

	// Both permissions, for this distribution only.
	var urlPerm, fnPerm bool
	for name, perm := range m.ofType("aws_lambda_permission") {
		principal, _ := m.str(perm, "principal")
		if principal != "cloudfront.amazonaws.com" {
			continue
		}
		if !m.refersTo(perm, "source_arn", distName+".arn") {
			p.add("aws_lambda_permission.%s: source_arn must be %s.arn", name, distName)
			continue
		}
		if !m.refersTo(perm, "function_name", "aws_lambda_function.origin") {
			p.add("aws_lambda_permission.%s is not for the origin function", name)
			continue
		}
		action, _ := m.str(perm, "action")
		switch action {
		case "lambda:InvokeFunctionUrl":
			if s, err := m.str(perm, "function_url_auth_type"); err != nil || s != "AWS_IAM" {
				p.add("aws_lambda_permission.%s: function_url_auth_type %q (%v), want AWS_IAM", name, s, err)
				continue
			}
			urlPerm = true
		case "lambda:InvokeFunction":
			v, ok, err := m.attr(perm, "invoked_via_function_url")
			if !ok || err != nil || !v.IsKnown() || v.IsNull() || v.Type() != cty.Bool || !v.True() {
				p.add("aws_lambda_permission.%s: invoked_via_function_url must be true", name)
				continue
			}
			fnPerm = true
		}
	}
	if !urlPerm {
		p.add("no permission lets CloudFront call lambda:InvokeFunctionUrl (AWS_IAM) on the origin function")
	}
	if !fnPerm {
		p.add("no permission lets CloudFront call lambda:InvokeFunction via the function URL (without it every request is a 403)")
	}

	// Origin: the function URL, signed by an origin access control of type lambda.
	origins := children(dist, "origin")
	if len(origins) != 1 {
		p.add("want one origin, have %d", len(origins))
		return p
	}
	o := origins[0]
	if !m.refersTo(o, "domain_name", "aws_lambda_function_url.origin") {
		p.add("the origin's domain_name is not the origin function URL")
	}
	var oac *hclsyntax.Block
	for _, r := range m.refs(o.Body.Attributes["origin_access_control_id"].Expr) {
		if strings.HasPrefix(r, "aws_cloudfront_origin_access_control.") {
			oac = m.resources[strings.TrimSuffix(r, ".id")]
		}
	}
	if oac == nil {
		p.add("the origin has no origin access control")
	} else {
		for attr, want := range map[string]string{"origin_access_control_origin_type": "lambda", "signing_behavior": "always", "signing_protocol": "sigv4"} {
			if s, err := m.str(oac, attr); err != nil || s != want {
				p.add("origin access control: %s %q (%v), want %s", attr, s, err, want)
			}
		}
	}

	beh := children(dist, "default_cache_behavior")
	if len(beh) != 1 {
		p.add("want one default_cache_behavior")
		return p
	}
	b := beh[0]
	if v, _, err := m.attr(b, "compress"); err != nil || v.IsNull() || !v.IsKnown() || v.True() {
		p.add("compress must be false (images are compressed already)")
	}
	if s, err := m.str(b, "viewer_protocol_policy"); err != nil || (s != "redirect-to-https" && s != "https-only") {
		p.add("viewer_protocol_policy %q (%v), want redirect-to-https or https-only", s, err)
	}
	// Cache key: the path only.
	var cp *hclsyntax.Block
	for _, r := range m.refs(b.Body.Attributes["cache_policy_id"].Expr) {
		cp = m.resources[strings.TrimSuffix(r, ".id")]
	}
	if cp == nil {
		p.add("default_cache_behavior has no cache policy of this module")
	} else {
		for _, params := range children(cp, "parameters_in_cache_key_and_forwarded_to_origin") {
			for blk, attr := range map[string]string{"cookies_config": "cookie_behavior", "headers_config": "header_behavior", "query_strings_config": "query_string_behavior"} {
				for _, c := range children(params, blk) {
					if s, err := m.str(c, attr); err != nil || s != "none" {
						p.add("cache policy: %s %q (%v), want none (cache key = path only)", attr, s, err)
					}
				}
			}
		}
	}
	// The viewer's Host must not reach the function URL.
	const allViewerExceptHost = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
	if a, ok := b.Body.Attributes["origin_request_policy_id"]; ok {
		var orp *hclsyntax.Block
		for _, r := range m.refs(a.Expr) {
			orp = m.resources[strings.TrimSuffix(r, ".id")]
		}
		switch {
		case orp != nil:
			for _, h := range children(orp, "headers_config") {
				beh, _ := m.str(h, "header_behavior")
				var items []string
				for _, hs := range children(h, "headers") {
					items, _ = m.strList(hs, "items")
				}
				if beh == "allViewer" || slices.ContainsFunc(items, func(s string) bool { return strings.EqualFold(s, "host") }) {
					p.add("the origin request policy forwards the viewer's Host")
				}
			}
		default:
			if s, err := m.str(b, "origin_request_policy_id"); err != nil || s != allViewerExceptHost {
				p.add("origin_request_policy_id %q is neither this module's policy nor AllViewerExceptHostHeader", s)
			}
		}
	}
	return p
}

type statement struct {
	effect     string
	actions    []string
	resources  []string
	conditions map[string][]string // "StringLike s3:prefix" -> values
}

func (m *module) policyOf(role string) ([]statement, error) {
	var docs []string
	for _, rp := range m.ofType("aws_iam_role_policy") {
		if !m.refersTo(rp, "role", "aws_iam_role."+role) {
			continue
		}
		for _, r := range m.refs(rp.Body.Attributes["policy"].Expr) {
			if strings.HasPrefix(r, "data.aws_iam_policy_document.") && strings.HasSuffix(r, ".json") {
				docs = append(docs, strings.TrimSuffix(strings.TrimPrefix(r, "data."), ".json"))
			}
		}
	}
	for _, att := range m.ofType("aws_iam_role_policy_attachment") {
		if m.refersTo(att, "role", "aws_iam_role."+role) {
			return nil, fmt.Errorf("role %s has a policy attachment; the test can only read inline policy documents", role)
		}
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("role %s has no inline policy from an aws_iam_policy_document", role)
	}
	var out []statement
	for _, d := range docs {
		doc := m.data[d]
		if doc == nil {
			return nil, fmt.Errorf("data.%s is missing", d)
		}
		for _, s := range children(doc, "statement") {
			st := statement{effect: "Allow", conditions: map[string][]string{}}
			if e, err := m.str(s, "effect"); err == nil {
				st.effect = e
			}
			var err error
			if st.actions, err = m.strList(s, "actions"); err != nil {
				return nil, fmt.Errorf("data.%s: %v", d, err)
			}
			if st.resources, err = m.strList(s, "resources"); err != nil {
				return nil, fmt.Errorf("data.%s: %v", d, err)
			}
			if _, ok := s.Body.Attributes["not_actions"]; ok {
				return nil, fmt.Errorf("data.%s: not_actions is not allowed", d)
			}
			if _, ok := s.Body.Attributes["not_resources"]; ok {
				return nil, fmt.Errorf("data.%s: not_resources is not allowed", d)
			}
			for _, c := range children(s, "condition") {
				test, err1 := m.str(c, "test")
				variable, err2 := m.str(c, "variable")
				values, err3 := m.strList(c, "values")
				if err1 != nil || err2 != nil || err3 != nil {
					return nil, fmt.Errorf("data.%s: condition: %v %v %v", d, err1, err2, err3)
				}
				st.conditions[test+" "+variable] = values
			}
			out = append(out, st)
		}
	}
	return out, nil
}

func checkIAM(m *module) problems {
	var p problems
	prefixV, err1 := m.varDefault("originals_prefix")
	sizesV, err2 := m.varDefault("sizes")
	if err1 != nil || err2 != nil {
		p.add("variables originals_prefix/sizes: %v %v", err1, err2)
		return p
	}
	prefix, _ := asString(prefixV)
	sizes, _ := asStrings(sizesV)
	const bucket = "{{aws_s3_bucket.images.arn}}"
	originals := bucket + "/" + prefix + "*"
	_ = sizes // variants are under one prefix per format, whatever the sizes (variantpath)
	wantListable := []string{prefix + "*"}
	for _, f := range variantpath.Formats {
		wantListable = append(wantListable, string(f)+"/*")
	}
	wantListable = append(wantListable, meta.KeyPrefix+"/*") // the /meta documents
	sort.Strings(wantListable)

	for _, name := range []string{"origin", "prewarm"} {
		fn := m.function(name, &p)
		if fn == nil {
			continue
		}
		var role string
		for _, r := range m.refs(fn.Body.Attributes["role"].Expr) {
			if strings.HasPrefix(r, "aws_iam_role.") {
				role = strings.Split(r, ".")[1]
			}
		}
		if role == "" {
			p.add("%s: role is not an aws_iam_role of this module", name)
			continue
		}
		stmts, err := m.policyOf(role)
		if err != nil {
			p.add("%s: %v", name, err)
			continue
		}
		variantActions := []string{"s3:GetObject", "s3:PutObject"}
		if name == "prewarm" {
			variantActions = append(variantActions, "s3:DeleteObject")
		}
		granted := map[string]map[string]bool{} // resource -> actions
		var listed, invalidates, logs bool
		for _, st := range stmts {
			if st.effect != "Allow" {
				continue
			}
			for _, a := range st.actions {
				if a == "*" || strings.HasPrefix(a, "s3:") && strings.Contains(a, "*") {
					p.add("%s: wildcard action %q", name, a)
				}
			}
			for _, a := range st.actions {
				switch {
				case a == "s3:ListBucket":
					if !slices.Equal(st.resources, []string{bucket}) {
						p.add("%s: s3:ListBucket on %v, want only the image bucket", name, st.resources)
					}
					got := slices.Clone(st.conditions["StringLike s3:prefix"])
					sort.Strings(got)
					if len(st.conditions) != 1 || !slices.Equal(got, wantListable) {
						p.add("%s: s3:ListBucket conditions %v, want exactly StringLike s3:prefix %v", name, st.conditions, wantListable)
					}
					listed = true
				case strings.HasPrefix(a, "s3:"):
					for _, r := range st.resources {
						if granted[r] == nil {
							granted[r] = map[string]bool{}
						}
						granted[r][a] = true
					}
				case a == "cloudfront:CreateInvalidation":
					if name != "prewarm" {
						p.add("%s: has no business invalidating CloudFront", name)
					}
					if !slices.Equal(st.resources, []string{"{{aws_cloudfront_distribution.cdn.arn}}"}) {
						p.add("%s: cloudfront:CreateInvalidation on %v, want only this distribution", name, st.resources)
					}
					invalidates = true
				case a == "logs:PutLogEvents":
					logs = true
				}
			}
		}
		if !listed {
			p.add("%s: no s3:ListBucket on the originals and variant prefixes (a missing original would be 403, not 404)", name)
		}
		if !logs {
			p.add("%s: cannot write its logs", name)
		}
		if name == "prewarm" && !invalidates {
			p.add("prewarm: cannot invalidate the distribution")
		}
		// Exactly: originals read-only, each variant prefix and meta/ read/write (prewarm: and
		// delete).
		want := map[string][]string{originals: {"s3:GetObject"}}
		for _, f := range variantpath.Formats {
			want[bucket+"/"+string(f)+"/*"] = variantActions
		}
		want[bucket+"/"+meta.KeyPrefix+"/*"] = variantActions
		for r, acts := range granted {
			w, ok := want[r]
			if !ok {
				p.add("%s: S3 access to %s, which is neither the originals prefix nor a variant prefix", name, r)
				continue
			}
			var got []string
			for a := range acts {
				got = append(got, a)
			}
			sort.Strings(got)
			w = slices.Clone(w)
			sort.Strings(w)
			if !slices.Equal(got, w) {
				p.add("%s: %s allows %v, want exactly %v", name, r, got, w)
			}
		}
		for r := range want {
			if granted[r] == nil {
				p.add("%s: no access to %s", name, r)
			}
		}
	}
	return p
}

// ---- Production settings (issue 11) ---------------------------------------------------------

// showVars renders -var style settings for messages: "origin_timeout_s=1 work_timeout_s=15".
func showVars(vars map[string]cty.Value) string {
	if len(vars) == 0 {
		return "defaults"
	}
	var out []string
	for k, v := range vars {
		var s string
		switch {
		case v.IsNull():
			s = "null"
		case v.Type() == cty.Number:
			s = v.AsBigFloat().Text('g', -1)
		case v.Type() == cty.String:
			s = strconv.Quote(v.AsString())
		default:
			s = v.GoString()
		}
		out = append(out, k+"="+s)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// validates reports whether every validation block of variable name accepts v.
func (m *module) validates(name string, v cty.Value) bool {
	mm, err := m.with(map[string]cty.Value{name: v})
	if err != nil {
		return false
	}
	return mm.valid(name)
}

// valid reports whether every validation block of variable name accepts its current value.
func (mm *module) valid(name string) bool {
	for _, val := range children(mm.variables[name], "validation") {
		c, ok, err := mm.attr(val, "condition")
		if !ok || err != nil || !c.IsKnown() || c.IsNull() || c.Type() != cty.Bool || !c.True() {
			return false
		}
	}
	return true
}

// failedPreconditions lists the error messages of b's lifecycle preconditions that do not hold.
func (m *module) failedPreconditions(b *hclsyntax.Block) []string {
	var out []string
	for _, lc := range children(b, "lifecycle") {
		for _, pc := range children(lc, "precondition") {
			c, _, err := m.attr(pc, "condition")
			if err != nil || !c.IsKnown() || c.IsNull() || !c.True() {
				msg, _ := m.str(pc, "error_message")
				out = append(out, msg)
			}
		}
	}
	return out
}

// providerOf is the provider a resource is managed with: "aws" or "aws.<alias>".
func providerOf(b *hclsyntax.Block) string {
	a, ok := b.Body.Attributes["provider"]
	if !ok {
		return "aws"
	}
	st, ok := a.Expr.(*hclsyntax.ScopeTraversalExpr)
	if !ok {
		return "?"
	}
	return strings.Join(attrPath(st.Traversal), ".")
}

// expanded is one block of a type, static or produced by a dynamic block, with the context its
// expressions are evaluated in.
type expanded struct {
	b   *hclsyntax.Block
	ctx *hcl.EvalContext
}

func (m *module) expand(parent *hclsyntax.Block, typ string) ([]expanded, error) {
	var out []expanded
	for _, c := range parent.Body.Blocks {
		switch {
		case c.Type == typ:
			out = append(out, expanded{c, m.ctx})
		case c.Type == "dynamic" && len(c.Labels) == 1 && c.Labels[0] == typ:
			fe, _, err := m.attr(c, "for_each")
			if err != nil {
				return nil, fmt.Errorf("dynamic %q: for_each: %v", typ, err)
			}
			contents := children(c, "content")
			if len(contents) != 1 || !fe.IsKnown() || fe.IsNull() || !fe.CanIterateElements() {
				return nil, fmt.Errorf("dynamic %q: want one content block and a known for_each", typ)
			}
			for it := fe.ElementIterator(); it.Next(); {
				k, v := it.Element()
				ctx := m.ctx.NewChild()
				ctx.Variables = map[string]cty.Value{typ: cty.ObjectVal(map[string]cty.Value{"key": k, "value": v})}
				out = append(out, expanded{contents[0], ctx})
			}
		}
	}
	return out, nil
}

func attrIn(ctx *hcl.EvalContext, b *hclsyntax.Block, name string) (cty.Value, bool) {
	a, ok := b.Body.Attributes[name]
	if !ok {
		return cty.NilVal, false
	}
	v, diags := a.Expr.Value(ctx)
	if diags.HasErrors() {
		return cty.NilVal, false
	}
	return v, true
}

func numberVars(m *module) []string {
	var out []string
	for name, b := range m.variables {
		a, ok := b.Body.Attributes["type"]
		if !ok {
			continue
		}
		if t, diags := typeexpr.TypeConstraint(a.Expr); !diags.HasErrors() && t == cty.Number {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Values tried against each numeric variable's validation and handler/config. Durations are
// passed as "<n>s", so values below a nanosecond are left out (config would round them to 0).
var boundCandidates = []string{"-1", "0", "0.5", "1", "1.5", "2", "3", "25", "80.5", "100", "101", "10240",
	"1000000", "9223372036", "9223372036854775807", "9223372036854775808", "1e30"}

// Variables whose value reaches one environment variable as it is: Terraform must accept
// exactly the values handler/config accepts.
var directVars = []struct {
	variable, env string
	functions     []string
}{
	{"jpeg_quality", config.EnvJPEGQuality, []string{"origin", "prewarm"}},
	{"lru_bytes", config.EnvLRUBytes, []string{"origin"}},
	{"max_source_bytes", config.EnvMaxSourceBytes, []string{"origin", "prewarm"}},
	{"max_source_pixels", config.EnvMaxSourcePixels, []string{"origin", "prewarm"}},
	{"max_frames", config.EnvMaxFrames, []string{"origin", "prewarm"}},
	{"work_timeout_s", config.EnvWorkTimeout, []string{"origin"}},
}

func checkNumericBounds(m *module) problems {
	var p problems
	for _, name := range numberVars(m) {
		n := 0
		for _, v := range children(m.variables[name], "validation") {
			if _, ok := v.Body.Attributes["condition"]; ok {
				n++
			}
		}
		if n == 0 {
			p.add("var.%s is a number without a validation condition", name)
		}
	}
	direct := map[string]bool{}
	for _, d := range directVars {
		direct[d.variable] = true
		if _, ok := m.variables[d.variable]; !ok {
			p.add("var.%s is not declared", d.variable)
			continue
		}
		for _, c := range boundCandidates {
			v := cty.MustParseNumberVal(c)
			mm, err := m.with(map[string]cty.Value{d.variable: v})
			if err != nil {
				p.add("var.%s = %s: %v", d.variable, c, err)
				continue
			}
			valid := mm.valid(d.variable)
			for _, fn := range d.functions {
				b := mm.function(fn, &p)
				if b == nil {
					continue
				}
				env, _, err := mm.environment(b)
				if err != nil {
					p.add("%s: var.%s = %s: environment: %v", fn, d.variable, c, err)
					continue
				}
				if _, ok := env[d.env]; !ok {
					p.add("%s: %s is not set", fn, d.env)
					continue
				}
				_, loadErr := config.Load(func(k string) string { return env[k] })
				if valid != (loadErr == nil) {
					p.add("var.%s = %s: Terraform's validation says %v, handler/config (%s=%q) says %v",
						d.variable, c, valid, d.env, env[d.env], loadErr)
				}
			}
		}
	}
	// The other numbers that reach an environment: whatever Terraform accepts, config accepts.
	reaches := map[string]bool{}
	for _, fn := range []string{"origin", "prewarm"} {
		if b := m.resources["aws_lambda_function."+fn]; b != nil {
			for _, e := range children(b, "environment") {
				if a, ok := e.Body.Attributes["variables"]; ok {
					for _, r := range m.refs(a.Expr) {
						reaches[strings.TrimPrefix(r, "var.")] = strings.HasPrefix(r, "var.")
					}
				}
			}
		}
	}
	for _, name := range numberVars(m) {
		if direct[name] || !reaches[name] {
			continue
		}
		for _, c := range boundCandidates {
			mm, err := m.with(map[string]cty.Value{name: cty.MustParseNumberVal(c)})
			if err != nil || !mm.valid(name) {
				continue
			}
			for _, fn := range []string{"origin", "prewarm"} {
				b := mm.function(fn, &p)
				if b == nil {
					continue
				}
				env, _, err := mm.environment(b)
				if err != nil {
					p.add("%s: var.%s = %s: environment: %v", fn, name, c, err)
					continue
				}
				if _, err := config.Load(func(k string) string { return env[k] }); err != nil {
					p.add("var.%s = %s passes validation, but config.Load rejects %s's environment: %v", name, c, fn, err)
				}
			}
		}
	}
	return p
}

func checkWorkTimeout(m *module) problems {
	var p problems
	combos := []map[string]cty.Value{
		{},
		{"origin_timeout_s": cty.NumberIntVal(60)},
		{"origin_timeout_s": cty.NumberIntVal(4)},
		{"origin_timeout_s": cty.NumberIntVal(2)},
		{"origin_timeout_s": cty.NumberIntVal(1)},
		{"work_timeout_s": cty.NumberIntVal(14)},
		{"work_timeout_s": cty.NumberIntVal(15)},
		{"work_timeout_s": cty.NumberIntVal(20)},
		{"origin_timeout_s": cty.NumberIntVal(60), "work_timeout_s": cty.MustParseNumberVal("59.5")},
	}
	for i, vars := range combos {
		mm, err := m.with(vars)
		if err != nil {
			p.add("%v: %v", showVars(vars), err)
			continue
		}
		fn := mm.function("origin", &p)
		if fn == nil {
			return p
		}
		env, _, err := mm.environment(fn)
		if err != nil {
			p.add("%v: origin environment: %v", showVars(vars), err)
			continue
		}
		cfg, err := config.Load(func(k string) string { return env[k] })
		if err != nil {
			p.add("%v: config.Load: %v", showVars(vars), err)
			continue
		}
		tv, _, _ := mm.attr(fn, "timeout")
		secs, _ := tv.AsBigFloat().Float64()
		timeout := time.Duration(secs * float64(time.Second))
		failed := mm.failedPreconditions(fn)
		if i == 0 && (len(failed) > 0 || cfg.WorkTimeout >= timeout) {
			p.add("defaults: WORK_TIMEOUT=%s with a %s function timeout (failed preconditions: %v)", env[config.EnvWorkTimeout], timeout, failed)
		}
		if len(failed) == 0 && cfg.WorkTimeout >= timeout {
			p.add("%v: WORK_TIMEOUT=%s is not below the origin's %s timeout, and no precondition stops it", showVars(vars), env[config.EnvWorkTimeout], timeout)
		}
	}
	return p
}

func checkConcurrency(m *module) problems {
	var p problems
	pre := m.function("prewarm", &p)
	origin := m.function("origin", &p)
	if pre == nil || origin == nil {
		return p
	}
	if !isTraversal(pre, "reserved_concurrent_executions", "var.prewarm_reserved_concurrency") {
		p.add("prewarm: reserved_concurrent_executions must be var.prewarm_reserved_concurrency")
	}
	if v, err := m.varDefault("prewarm_reserved_concurrency"); err != nil || v.IsNull() || v.LessThan(cty.NumberIntVal(1)).True() {
		p.add("var.prewarm_reserved_concurrency must default to a number >= 1 (%v)", err)
	}
	if m.validates("prewarm_reserved_concurrency", cty.NumberIntVal(0)) {
		p.add("var.prewarm_reserved_concurrency accepts 0, which stops pre-warming altogether")
	}
	if !m.validates("prewarm_reserved_concurrency", cty.NumberIntVal(1)) {
		p.add("var.prewarm_reserved_concurrency refuses 1")
	}
	// The origin: unreserved by default, capped when the variable is set.
	if v, ok, err := m.attr(origin, "reserved_concurrent_executions"); ok && (err != nil || !v.Equals(cty.NumberIntVal(-1)).True()) {
		p.add("origin: reserved_concurrent_executions is %#v by default, want -1 (unreserved) (%v)", v, err)
	}
	if v, err := m.varDefault("origin_reserved_concurrency"); err != nil || !v.IsNull() {
		p.add("var.origin_reserved_concurrency must default to null (%v)", err)
	}
	if mm, err := m.with(map[string]cty.Value{"origin_reserved_concurrency": cty.NumberIntVal(50)}); err == nil {
		if v, _, err := mm.attr(origin, "reserved_concurrent_executions"); err != nil || v.IsNull() || !v.Equals(cty.NumberIntVal(50)).True() {
			p.add("origin: origin_reserved_concurrency = 50 gives reserved_concurrent_executions %#v (%v)", v, err)
		}
	}
	if m.validates("origin_reserved_concurrency", cty.NumberIntVal(0)) {
		p.add("var.origin_reserved_concurrency accepts 0, which would stop every request")
	}
	return p
}

const usEast1 = "aws.us_east_1"

func (m *module) checkUSEast1Provider(p *problems) {
	prov := m.providers["aws.us_east_1"]
	if prov == nil {
		p.add("no provider \"aws\" with alias us_east_1")
		return
	}
	if s, err := m.str(prov, "region"); err != nil || s != "us-east-1" {
		p.add("provider aws.us_east_1: region %q (%v), want us-east-1", s, err)
	}
}

// count of b evaluated with vars set.
func (m *module) countWith(b *hclsyntax.Block, vars map[string]cty.Value) (int, error) {
	mm, err := m.with(vars)
	if err != nil {
		return 0, err
	}
	v, ok, err := mm.attr(b, "count")
	if !ok {
		return 1, nil
	}
	if err != nil || !v.IsKnown() || v.IsNull() {
		return 0, fmt.Errorf("count: %v", err)
	}
	n, _ := v.AsBigFloat().Int64()
	return int(n), nil
}

func (m *module) one(typ string, p *problems) (string, *hclsyntax.Block) {
	bs := m.ofType(typ)
	if len(bs) != 1 {
		p.add("want one %s, have %d", typ, len(bs))
		return "", nil
	}
	for n, b := range bs {
		return typ + "." + n, b
	}
	return "", nil
}

func checkEdge(m *module) problems {
	var p problems
	m.checkUSEast1Provider(&p)
	for _, name := range []string{"waf_rate_limit", "origin_shield_region", "web_acl_id"} {
		if v, err := m.varDefault(name); err != nil || !v.IsNull() {
			p.add("var.%s must default to null (off) (%v)", name, err)
		}
	}
	on := map[string]cty.Value{"waf_rate_limit": cty.NumberIntVal(2000)}
	wafName, waf := m.one("aws_wafv2_web_acl", &p)
	_, dist := m.one("aws_cloudfront_distribution", &p)
	if waf != nil {
		if providerOf(waf) != usEast1 {
			p.add("%s is managed with provider %s; a web ACL for CloudFront lives in us-east-1 (%s)", wafName, providerOf(waf), usEast1)
		}
		if s, err := m.str(waf, "scope"); err != nil || s != "CLOUDFRONT" {
			p.add("%s: scope %q (%v), want CLOUDFRONT", wafName, s, err)
		}
		if n, err := m.countWith(waf, nil); err != nil || n != 0 {
			p.add("%s: count %d by default (%v), want 0 (off by default)", wafName, n, err)
		}
		if n, err := m.countWith(waf, on); err != nil || n != 1 {
			p.add("%s: count %d with waf_rate_limit set (%v), want 1", wafName, n, err)
		}
		mm, _ := m.with(on)
		var blocking bool
		for _, r := range children(waf, "rule") {
			var blocks bool
			for _, a := range children(r, "action") {
				blocks = len(children(a, "block")) == 1
			}
			for _, st := range children(r, "statement") {
				for _, rb := range children(st, "rate_based_statement") {
					lim, _, err := mm.attr(rb, "limit")
					key, _ := mm.str(rb, "aggregate_key_type")
					if err == nil && !lim.IsNull() && lim.Equals(cty.NumberIntVal(2000)).True() && key == "IP" && blocks {
						blocking = true
					}
				}
			}
		}
		if !blocking {
			p.add("%s has no rule that blocks an IP above var.waf_rate_limit requests (rate_based_statement, limit = var.waf_rate_limit, IP, action block)", wafName)
		}
	}
	if dist == nil {
		return p
	}
	for _, tc := range []struct {
		vars map[string]cty.Value
		want cty.Value
	}{
		{nil, cty.NullVal(cty.String)},
		{on, cty.StringVal("{{aws_wafv2_web_acl.rate_limit.arn}}")},
		{map[string]cty.Value{"web_acl_id": cty.StringVal("arn:aws:wafv2:us-east-1:123456789012:global/webacl/own/1")}, cty.StringVal("arn:aws:wafv2:us-east-1:123456789012:global/webacl/own/1")},
	} {
		mm, err := m.with(tc.vars)
		if err != nil {
			p.add("%v", err)
			continue
		}
		v, _, err := mm.attr(dist, "web_acl_id")
		if err != nil || v.IsNull() != tc.want.IsNull() || !v.IsNull() && !v.Equals(tc.want).True() {
			p.add("distribution web_acl_id with %v is %#v (%v), want %#v", showVars(tc.vars), v, err, tc.want)
		}
	}
	// Origin Shield: off by default, in the named region when set.
	for _, tc := range []struct {
		vars map[string]cty.Value
		want string
	}{{nil, ""}, {map[string]cty.Value{"origin_shield_region": cty.StringVal("eu-west-1")}, "eu-west-1"}} {
		mm, err := m.with(tc.vars)
		if err != nil {
			p.add("%v", err)
			continue
		}
		var got []string
		for _, o := range children(dist, "origin") {
			shields, err := mm.expand(o, "origin_shield")
			if err != nil {
				p.add("origin_shield: %v", err)
			}
			for _, s := range shields {
				en, _ := attrIn(s.ctx, s.b, "enabled")
				r, _ := attrIn(s.ctx, s.b, "origin_shield_region")
				if en.Type() == cty.Bool && en.True() && r.Type() == cty.String && !r.IsNull() {
					got = append(got, r.AsString())
				}
			}
		}
		want := []string{tc.want}
		if tc.want == "" {
			want = nil
		}
		if !slices.Equal(got, want) {
			p.add("origin shield with %v: %v, want %v", showVars(tc.vars), got, want)
		}
	}
	return p
}

func checkCDNLogs(m *module) problems {
	var p problems
	m.checkUSEast1Provider(&p)
	if v, err := m.varDefault("cdn_access_logs"); err != nil || v.IsNull() || v.Type() != cty.Bool || v.True() {
		p.add("var.cdn_access_logs must default to false (%v)", err)
	}
	on := map[string]cty.Value{"cdn_access_logs": cty.True}
	srcName, src := m.one("aws_cloudwatch_log_delivery_source", &p)
	dstName, dst := m.one("aws_cloudwatch_log_delivery_destination", &p)
	delName, del := m.one("aws_cloudwatch_log_delivery", &p)
	if src == nil || dst == nil || del == nil {
		return p
	}
	var group string
	for _, c := range children(dst, "delivery_destination_configuration") {
		for _, r := range m.refs(c.Body.Attributes["destination_resource_arn"].Expr) {
			if strings.HasPrefix(r, "aws_cloudwatch_log_group.") && strings.HasSuffix(r, ".arn") {
				group = strings.TrimSuffix(r, ".arn")
			}
		}
	}
	parts := [][2]string{{srcName, ""}, {dstName, ""}, {delName, ""}}
	blocks := []*hclsyntax.Block{src, dst, del}
	if group == "" {
		p.add("%s does not deliver to a log group of this module", dstName)
	} else {
		parts = append(parts, [2]string{group, ""})
		blocks = append(blocks, m.resources[group])
	}
	for i, b := range blocks {
		if b == nil {
			p.add("%s is missing", parts[i][0])
			continue
		}
		if providerOf(b) != usEast1 {
			p.add("%s is managed with provider %s; CloudFront's log delivery lives in us-east-1 (%s)", parts[i][0], providerOf(b), usEast1)
		}
		if n, err := m.countWith(b, nil); err != nil || n != 0 {
			p.add("%s: count %d by default (%v), want 0 (off by default)", parts[i][0], n, err)
		}
		if n, err := m.countWith(b, on); err != nil || n != 1 {
			p.add("%s: count %d with cdn_access_logs (%v), want 1", parts[i][0], n, err)
		}
	}
	if s, err := m.str(src, "log_type"); err != nil || s != "ACCESS_LOGS" {
		p.add("%s: log_type %q (%v), want ACCESS_LOGS", srcName, s, err)
	}
	if !m.refersTo(src, "resource_arn", "aws_cloudfront_distribution.cdn.arn") {
		p.add("%s: resource_arn must be the distribution's ARN", srcName)
	}
	if !m.refersTo(del, "delivery_source_name", strings.TrimSuffix(srcName, "")+".name") {
		p.add("%s: delivery_source_name must be %s.name", delName, srcName)
	}
	if !m.refersTo(del, "delivery_destination_arn", dstName+".arn") {
		p.add("%s: delivery_destination_arn must be %s.arn", delName, dstName)
	}
	return p
}

type lifecycleRule struct {
	id, prefix   string
	hasPrefix    bool
	noncurrent   cty.Value
	emptyFilter  bool
	enabled      bool
	fromVariable bool
}

func (m *module) lifecycleRules(lc *hclsyntax.Block) ([]lifecycleRule, error) {
	rules, err := m.expand(lc, "rule")
	if err != nil {
		return nil, err
	}
	var out []lifecycleRule
	for _, r := range rules {
		lr := lifecycleRule{noncurrent: cty.NullVal(cty.Number)}
		if v, ok := attrIn(r.ctx, r.b, "id"); ok && v.Type() == cty.String {
			lr.id = v.AsString()
		}
		if v, ok := attrIn(r.ctx, r.b, "status"); ok && v.Type() == cty.String {
			lr.enabled = v.AsString() == "Enabled"
		}
		for _, f := range children(r.b, "filter") {
			if len(f.Body.Attributes) == 0 && len(f.Body.Blocks) == 0 {
				lr.emptyFilter = true
			}
			if v, ok := attrIn(r.ctx, f, "prefix"); ok && v.Type() == cty.String && !v.IsNull() {
				lr.prefix, lr.hasPrefix = v.AsString(), true
			}
		}
		for _, n := range children(r.b, "noncurrent_version_expiration") {
			if v, ok := attrIn(r.ctx, n, "noncurrent_days"); ok {
				lr.noncurrent = v
			}
			lr.fromVariable = isTraversal(n, "noncurrent_days", "var.noncurrent_version_expiration_days")
		}
		out = append(out, lr)
	}
	return out, nil
}

func checkLifecycle(m *module) problems {
	var p problems
	for name, lc := range m.ofType("aws_s3_bucket_lifecycle_configuration") {
		rules, err := m.lifecycleRules(lc)
		if err != nil {
			p.add("aws_s3_bucket_lifecycle_configuration.%s: %v", name, err)
			continue
		}
		for _, r := range rules {
			if r.emptyFilter || !r.hasPrefix {
				p.add("aws_s3_bucket_lifecycle_configuration.%s: rule %q has no filter { prefix = ... } (an empty filter block is ambiguous to the provider)", name, r.id)
			}
		}
	}
	var images *hclsyntax.Block
	for _, lc := range m.ofType("aws_s3_bucket_lifecycle_configuration") {
		if m.refersTo(lc, "bucket", "aws_s3_bucket.images") {
			images = lc
		}
	}
	if images == nil {
		p.add("the image bucket has no lifecycle configuration")
		return p
	}
	for _, vars := range []map[string]cty.Value{
		{},
		{"sizes": cty.ListVal([]cty.Value{cty.StringVal("1024x768"), cty.StringVal("64x64")}), "noncurrent_version_expiration_days": cty.NumberIntVal(45)},
	} {
		mm, err := m.with(vars)
		if err != nil {
			p.add("%v", err)
			continue
		}
		rules, err := mm.lifecycleRules(images)
		if err != nil {
			p.add("image bucket lifecycle: %v", err)
			continue
		}
		prefixV, _ := mm.varDefault("originals_prefix")
		daysV, _ := mm.varDefault("noncurrent_version_expiration_days")
		sizesV, _ := mm.varDefault("sizes")
		originals, _ := asString(prefixV)
		sizes, _ := asStrings(sizesV)
		// Originals: the variable's policy, and nothing shorter.
		var kept bool
		for _, r := range rules {
			if !r.enabled || !r.hasPrefix || !strings.HasPrefix(originals, r.prefix) || r.noncurrent.IsNull() {
				continue
			}
			if !r.noncurrent.Equals(daysV).True() {
				p.add("%v: rule %q expires noncurrent originals after %#v days, want var.noncurrent_version_expiration_days (%#v)", showVars(vars), r.id, r.noncurrent, daysV)
			} else {
				kept = true
			}
		}
		if !kept {
			p.add("%v: no rule expires noncurrent originals after var.noncurrent_version_expiration_days", showVars(vars))
		}
		// Variants and /meta documents: 1 day under each format's prefix (variantpath's key
		// layout) and meta/.
		_ = sizes
		prefixes := []string{meta.KeyPrefix}
		for _, f := range variantpath.Formats {
			prefixes = append(prefixes, string(f))
		}
		for _, s := range prefixes {
			found := false
			for _, r := range rules {
				if r.enabled && r.hasPrefix && r.prefix == s+"/" && !r.noncurrent.IsNull() && r.noncurrent.Equals(cty.NumberIntVal(1)).True() {
					found = true
				}
			}
			if !found {
				p.add("%v: no enabled rule expires noncurrent versions under %s/ after 1 day", showVars(vars), s)
			}
		}
	}
	return p
}

// checkVariantCaching: var.cache_control (CACHE_CONTROL) makes browsers revalidate soon (a
// max-age of at most an hour, never "immutable": a variant's URL keeps its name when its original
// is replaced) and lets CloudFront keep a variant long (an s-maxage the cache policy's max_ttl
// does not cut, at least a day).
func checkVariantCaching(m *module) problems {
	var p problems
	v, err := m.varDefault("cache_control")
	cc, _ := asString(v)
	if err != nil || cc == "" {
		p.add("var.cache_control: %v", err)
		return p
	}
	num := func(re string) int64 {
		mt := regexp.MustCompile(re).FindStringSubmatch(cc)
		if mt == nil {
			return -1
		}
		n, _ := strconv.ParseInt(mt[1], 10, 64)
		return n
	}
	maxAge, sMaxAge := num(`(?:^|[ ,])max-age=([0-9]+)`), num(`s-maxage=([0-9]+)`)
	if strings.Contains(cc, "immutable") || maxAge < 0 || maxAge > 3600 {
		p.add("var.cache_control %q: browsers must revalidate within an hour (max-age <= 3600, not immutable)", cc)
	}
	if sMaxAge < 86400 {
		p.add("var.cache_control %q: want an s-maxage of at least a day for CloudFront", cc)
	}
	pol := m.ofType("aws_cloudfront_cache_policy")["path_only"]
	if pol == nil {
		p.add("no aws_cloudfront_cache_policy.path_only")
		return p
	}
	mv, ok, err := m.attr(pol, "max_ttl")
	if !ok || err != nil || !mv.IsKnown() || mv.Type() != cty.Number {
		p.add("path_only: max_ttl unreadable (%v)", err)
		return p
	}
	maxTTL, _ := mv.AsBigFloat().Int64()
	if maxTTL < sMaxAge {
		p.add("path_only: max_ttl %d cuts CACHE_CONTROL's s-maxage %d", maxTTL, sMaxAge)
	}
	return p
}

// checkViewerFunction: the CloudFront Function is the file edge/viewer-request.js with the
// allowlist (var.sizes) substituted for its one placeholder, runtime cloudfront-js-2.0,
// published, within the 10 KB limit, and associated with the default behaviour at
// viewer-request.
func checkViewerFunction(m *module) problems {
	var p problems
	fns := m.ofType("aws_cloudfront_function")
	fn, ok := fns["viewer_request"]
	if !ok || len(fns) != 1 {
		p.add("want one aws_cloudfront_function.viewer_request, have %d", len(fns))
		return p
	}
	if rt, err := m.str(fn, "runtime"); err != nil || rt != "cloudfront-js-2.0" {
		p.add("viewer_request: runtime %q (%v), want cloudfront-js-2.0", rt, err)
	}
	if v, ok, err := m.attr(fn, "publish"); !ok || err != nil || v.Type() != cty.Bool || !v.True() {
		p.add("viewer_request: publish must be true (an unpublished function cannot be associated)")
	}
	// The code, evaluated with the real file(): what CloudFront would run.
	ctx := *m.ctx
	ctx.Functions = maps.Clone(m.ctx.Functions)
	ctx.Functions["file"] = function.New(&function.Spec{
		Params: []function.Parameter{{Name: "path", Type: cty.String}},
		Type:   function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			b, err := os.ReadFile(filepath.Join(m.dir, args[0].AsString()))
			return cty.StringVal(string(b)), err
		},
	})
	codeAttr, ok := fn.Body.Attributes["code"]
	if !ok {
		p.add("viewer_request: no code")
		return p
	}
	var codeExpr hclsyntax.Expression = codeAttr.Expr
	if te, ok := codeAttr.Expr.(*hclsyntax.ScopeTraversalExpr); ok && te.Traversal.RootName() == "local" && len(te.Traversal) == 2 {
		if a, ok := te.Traversal[1].(hcl.TraverseAttr); ok && m.locals[a.Name] != nil {
			codeExpr = m.locals[a.Name]
		}
	}
	v, diags := codeExpr.Value(&ctx)
	if diags.HasErrors() || !v.IsKnown() || v.Type() != cty.String {
		p.add("viewer_request: code does not evaluate: %v", diags)
		return p
	}
	code := v.AsString()
	src, err := os.ReadFile(filepath.Join(m.dir, "..", "edge", "viewer-request.js"))
	if err != nil {
		p.add("edge/viewer-request.js: %v", err)
		return p
	}
	sizesV, _ := m.varDefault("sizes")
	sizes, _ := asStrings(sizesV)
	want := strings.Replace(string(src), "'__ALLOWED_SIZES__'", "'"+strings.Join(sizes, ",")+"'", 1)
	if strings.Count(string(src), "__ALLOWED_SIZES__") != 1 || code != want {
		p.add("viewer_request: code is not edge/viewer-request.js with the placeholder replaced by var.sizes (%s): %.120q", strings.Join(sizes, ","), code)
	}
	if len(code) > 10240 {
		p.add("viewer_request: %d bytes, over CloudFront Functions' 10 KB", len(code))
	}
	// The association, in the default behaviour.
	var associated bool
	for _, d := range m.ofType("aws_cloudfront_distribution") {
		for _, b := range d.Body.Blocks {
			if b.Type != "default_cache_behavior" {
				continue
			}
			for _, fa := range b.Body.Blocks {
				if fa.Type != "function_association" {
					continue
				}
				et, _ := m.str(fa, "event_type")
				if et == "viewer-request" && m.refersTo(fa, "function_arn", "aws_cloudfront_function.viewer_request.arn") {
					associated = true
				}
			}
		}
	}
	if !associated {
		p.add("default_cache_behavior has no function_association of aws_cloudfront_function.viewer_request.arn at viewer-request")
	}
	return p
}

// alarmActions evaluates alarm_actions and ok_actions of every alarm.
func checkAlarms(m *module) problems {
	var p problems
	alarms := m.ofType("aws_cloudwatch_metric_alarm")
	if len(alarms) == 0 {
		p.add("no alarms")
		return p
	}
	if v, err := m.varDefault("alarm_topic_arn"); err != nil || !v.IsNull() {
		p.add("var.alarm_topic_arn must default to null (this module's topic) (%v)", err)
	}
	// The module's own topic: made by default, encrypted with the events key, which CloudWatch
	// may use; not made when var.alarm_topic_arn names one.
	own := ""
	for name, t := range m.ofType("aws_sns_topic") {
		if n, err := m.countWith(t, map[string]cty.Value{"alarm_topic_arn": cty.StringVal("arn:aws:sns:eu-west-1:123456789012:ops")}); err == nil && n == 0 {
			if n, err := m.countWith(t, nil); err == nil && n == 1 {
				own = "aws_sns_topic." + name
				if !m.refersTo(t, "kms_master_key_id", "aws_kms_key.events") {
					p.add("%s is not encrypted with aws_kms_key.events", own)
				}
			}
		}
	}
	if own == "" {
		p.add("no aws_sns_topic made for the alarms when var.alarm_topic_arn is null (and only then)")
	}
	cloudwatchMayEncrypt := false
	if doc := m.data["aws_iam_policy_document.events_key"]; doc != nil {
		for _, s := range children(doc, "statement") {
			acts, _ := m.strList(s, "actions")
			for _, pr := range children(s, "principals") {
				ids, _ := m.strList(pr, "identifiers")
				if slices.Contains(ids, "cloudwatch.amazonaws.com") && slices.Contains(acts, "kms:Decrypt") && slices.Contains(acts, "kms:GenerateDataKey*") {
					cloudwatchMayEncrypt = true
				}
			}
		}
	}
	if !cloudwatchMayEncrypt {
		p.add("the events key policy does not let cloudwatch.amazonaws.com encrypt for the alarm topic (kms:GenerateDataKey*, kms:Decrypt)")
	}
	for _, tc := range []struct {
		vars map[string]cty.Value
		want string
	}{
		{nil, "{{" + own + ".arn}}"},
		{map[string]cty.Value{"alarm_topic_arn": cty.StringVal("arn:aws:sns:eu-west-1:123456789012:ops")}, "arn:aws:sns:eu-west-1:123456789012:ops"},
	} {
		mm, err := m.with(tc.vars)
		if err != nil {
			p.add("%v", err)
			continue
		}
		for name, a := range alarms {
			for _, attr := range []string{"alarm_actions", "ok_actions"} {
				got, err := mm.strList(a, attr)
				if err != nil || !slices.Equal(got, []string{tc.want}) {
					p.add("alarm %s: %s = %v (%v) with %v, want [%s]", name, attr, got, err, showVars(tc.vars), tc.want)
				}
			}
		}
		if o := m.outputs["alarm_topic_arn"]; o == nil {
			p.add("no output alarm_topic_arn")
		} else if s, err := mm.str(o, "value"); err != nil || s != tc.want {
			p.add("output alarm_topic_arn = %q (%v) with %v, want %s", s, err, showVars(tc.vars), tc.want)
		}
	}

	fnName := func(fn string) string {
		b := m.function(fn, &p)
		if b == nil {
			return ""
		}
		s, _ := m.str(b, "function_name")
		return s
	}
	origin, prewarm := fnName("origin"), fnName("prewarm")
	topic := ""
	if t := m.resources["aws_sns_topic.originals"]; t != nil {
		topic, _ = m.str(t, "name")
	}
	timeoutV, _ := m.varDefault("origin_timeout_s")
	timeoutMs, _ := timeoutV.AsBigFloat().Float64()
	timeoutMs *= 1000
	want := []struct {
		what, namespace, metric, dim, value string
		check                               func(threshold float64, stat string) string
	}{
		{"pre-warm errors", "AWS/Lambda", "Errors", "FunctionName", prewarm, nil},
		{"pre-warm throttles", "AWS/Lambda", "Throttles", "FunctionName", prewarm, nil},
		{"origin errors", "AWS/Lambda", "Errors", "FunctionName", origin, nil},
		{"origin throttles", "AWS/Lambda", "Throttles", "FunctionName", origin, nil},
		{"origin duration near its timeout", "AWS/Lambda", "Duration", "FunctionName", origin, func(th float64, stat string) string {
			if th <= 0 || th >= timeoutMs || stat != "Maximum" {
				return fmt.Sprintf("threshold %v ms with statistic %q, want Maximum below the timeout (%v ms)", th, stat, timeoutMs)
			}
			return ""
		}},
		{"SNS deliveries to the pre-warm function failed", "AWS/SNS", "NumberOfNotificationsFailed", "TopicName", topic, nil},
	}
	for _, w := range want {
		found := false
		var why []string
		for name, a := range alarms {
			ns, _ := m.str(a, "namespace")
			metric, _ := m.str(a, "metric_name")
			if ns != w.namespace || metric != w.metric {
				continue
			}
			dims, _, err := m.attr(a, "dimensions")
			if err != nil || dims.IsNull() || !dims.CanIterateElements() || !dims.Type().IsObjectType() && !dims.Type().IsMapType() {
				continue
			}
			d := map[string]string{}
			for it := dims.ElementIterator(); it.Next(); {
				k, v := it.Element()
				d[k.AsString()], _ = asString(v)
			}
			if d[w.dim] != w.value || w.value == "" {
				continue
			}
			if w.check != nil {
				th, _, _ := m.attr(a, "threshold")
				f := -1.0
				if !th.IsNull() && th.IsKnown() && th.Type() == cty.Number {
					f, _ = th.AsBigFloat().Float64()
				}
				stat, _ := m.str(a, "statistic")
				if msg := w.check(f, stat); msg != "" {
					why = append(why, name+": "+msg)
					continue
				}
			}
			found = true
		}
		if !found {
			p.add("no alarm on %s (%s %s, %s = %q) %v", w.what, w.namespace, w.metric, w.dim, w.value, why)
		}
	}
	return p
}

func checkOutputs(m *module) problems {
	var p problems
	for name, want := range map[string]string{
		"origin_function_arn":       "aws_lambda_function.origin.arn",
		"prewarm_function_arn":      "aws_lambda_function.prewarm.arn",
		"origin_role_arn":           "aws_iam_role.origin.arn",
		"prewarm_role_arn":          "aws_iam_role.prewarm.arn",
		"originals_topic_arn":       "aws_sns_topic.originals.arn",
		"prewarm_failure_queue_arn": "aws_sqs_queue.prewarm_failures.arn",
		"events_key_arn":            "aws_kms_key.events.arn",
	} {
		o := m.outputs[name]
		if o == nil {
			p.add("output %s is missing", name)
			continue
		}
		if s, err := m.str(o, "value"); err != nil || s != "{{"+want+"}}" {
			p.add("output %s = %q (%v), want %s", name, s, err, want)
		}
		if d, err := m.str(o, "description"); err != nil || d == "" {
			p.add("output %s has no description", name)
		}
	}
	if m.outputs["alarm_topic_arn"] == nil { // its value: checkAlarms
		p.add("output alarm_topic_arn is missing")
	}
	return p
}

func checkVersions(m *module) problems {
	var p problems
	if len(m.terraform) != 1 {
		p.add("want one terraform block, have %d", len(m.terraform))
		return p
	}
	tf := m.terraform[0]
	rv, err := m.str(tf, "required_version")
	if err != nil {
		p.add("required_version: %v", err)
	}
	var lower, upper bool
	for _, part := range strings.Split(rv, ",") {
		part = strings.TrimSpace(part)
		switch {
		case part == ">= 1.5":
			lower = true
		case strings.HasPrefix(part, "< ") || strings.HasPrefix(part, "<= ") || strings.HasPrefix(part, "~> "):
			upper = true
		}
	}
	if !lower || !upper {
		p.add("required_version %q: want \">= 1.5\" (what check.sh tests with) and an upper bound", rv)
	}
	rp := children(tf, "required_providers")
	if len(rp) != 1 {
		p.add("want one required_providers block")
		return p
	}
	aws, ok, err := m.attr(rp[0], "aws")
	if !ok || err != nil || aws.IsNull() || !aws.Type().IsObjectType() {
		p.add("required_providers.aws is not an object (%v)", err)
		return p
	}
	src, _ := asString(aws.GetAttr("source"))
	ver, _ := asString(aws.GetAttr("version"))
	if src != "hashicorp/aws" || ver != "~> 6.28" {
		p.add("required_providers.aws = %s %q, want hashicorp/aws \"~> 6.28\"", src, ver)
	}
	return p
}

var (
	sMaxAgeRe = regexp.MustCompile(`s-maxage=([0-9]+)`)
	maxAgeRe  = regexp.MustCompile(`(?:^|[ ,])max-age=([0-9]+)`)
)

// notFoundTTL is CloudFront's rule: the larger of the error caching minimum TTL and the answer's
// s-maxage (else max-age).
func notFoundTTL(minTTL int, cacheControl string) int {
	age := 0
	if s := sMaxAgeRe.FindStringSubmatch(cacheControl); s != nil {
		age, _ = strconv.Atoi(s[1])
	} else if s := maxAgeRe.FindStringSubmatch(cacheControl); s != nil {
		age, _ = strconv.Atoi(s[1])
	}
	return max(minTTL, age)
}

func checkNotFoundTTL(m *module) problems {
	var p problems
	minV, err := m.varDefault("error_caching_min_ttl")
	if err != nil {
		p.add("%v", err)
		return p
	}
	minDefault, _ := minV.AsBigFloat().Int64()
	for _, tc := range []struct {
		min int
		cc  string
	}{
		{int(minDefault), config.DefaultErrorCache},
		{10, "public, max-age=5"},
		{10, "public, s-maxage=30, max-age=600"},
		{0, "public, max-age=120"},
		{30, "no-store"},
	} {
		mm, err := m.with(map[string]cty.Value{"error_caching_min_ttl": cty.NumberIntVal(int64(tc.min)), "error_cache_control": cty.StringVal(tc.cc)})
		if err != nil {
			p.add("%v", err)
			continue
		}
		v := mm.ctx.Variables["local"]
		if !v.Type().HasAttribute("not_found_edge_ttl_s") {
			p.add("local.not_found_edge_ttl_s is not defined")
			return p
		}
		got := v.GetAttr("not_found_edge_ttl_s")
		want := notFoundTTL(tc.min, tc.cc)
		if !got.IsKnown() || got.IsNull() || got.Type() != cty.Number || !got.Equals(cty.NumberIntVal(int64(want))).True() {
			p.add("error_caching_min_ttl=%d, ERROR_CACHE_CONTROL=%q: local.not_found_edge_ttl_s = %#v, want %d", tc.min, tc.cc, got, want)
		}
	}
	if o := m.outputs["not_found_edge_ttl_s"]; o == nil || !m.refersTo(o, "value", "local.not_found_edge_ttl_s") && !strings.Contains(strings.Join(m.refs(o.Body.Attributes["value"].Expr), " "), "error_caching_min_ttl") {
		p.add("output not_found_edge_ttl_s is missing or not local.not_found_edge_ttl_s")
	}
	// The README's promise is the number at the defaults.
	readme, err := os.ReadFile(filepath.Join(m.dir, "README.md"))
	if err != nil {
		p.add("%v", err)
		return p
	}
	promise := fmt.Sprintf("visible at the edge within **%d s**", notFoundTTL(int(minDefault), config.DefaultErrorCache))
	if !strings.Contains(string(readme), promise) {
		p.add("terraform/README.md does not promise %q", promise)
	}
	return p
}

func checkReadme(m *module) problems {
	var p problems
	b, err := os.ReadFile(filepath.Join(m.dir, "README.md"))
	if err != nil {
		p.add("%v", err)
		return p
	}
	readme := string(b)
	for name := range m.variables {
		if !strings.Contains(readme, "`"+name+"`") {
			p.add("terraform/README.md does not mention variable `%s`", name)
		}
	}
	for name := range m.outputs {
		if !strings.Contains(readme, "`"+name+"`") {
			p.add("terraform/README.md does not mention output `%s`", name)
		}
	}
	_, prod, ok := strings.Cut(readme, "\n## Running it in production\n")
	if !ok {
		p.add("terraform/README.md has no \"## Running it in production\" section")
		return p
	}
	if i := strings.Index(prod, "\n## "); i >= 0 {
		prod = prod[:i]
	}
	for _, s := range []string{
		"### Concurrency", "### Cost per upload", "### Logs", "### Alarms", "### What each optional variable buys",
		"`prewarm_reserved_concurrency`", "`origin_reserved_concurrency`", "`waf_rate_limit`", "`origin_shield_region`",
		"`cdn_access_logs`", "`alarm_topic_arn`", "`work_timeout_s`", "TooManyInvalidationsInProgress",
		`backend "s3"`, "use_lockfile",
	} {
		if !strings.Contains(prod, s) {
			p.add("the production section of terraform/README.md lacks %q", s)
		}
	}
	return p
}

// ---- Tests ---------------------------------------------------------------------------------

func load(t *testing.T, dir string) *module {
	t.Helper()
	m, err := loadModule(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func expectNone(t *testing.T, p problems) {
	t.Helper()
	for _, s := range p {
		t.Error(s)
	}
}

func TestEnvironmentIsWhatTheCodeReads(t *testing.T) { expectNone(t, checkEnvironment(load(t, "."))) }

func TestVariableDefaultsAreConfigDefaults(t *testing.T) {
	expectNone(t, checkVariableDefaults(load(t, ".")))
}

func TestNotificationFiltersOnOriginalsPrefix(t *testing.T) {
	expectNone(t, checkNotification(load(t, ".")))
}

func TestFunctionsRunThePackagedZips(t *testing.T) { expectNone(t, checkPackages(load(t, "."))) }

func TestFunctionURLIsIAMAndStreaming(t *testing.T) { expectNone(t, checkFunctionURL(load(t, "."))) }

func TestCloudFrontMayInvokeTheOrigin(t *testing.T) { expectNone(t, checkCloudFront(load(t, "."))) }

func TestIAMCoversExactlyThePrefixes(t *testing.T) { expectNone(t, checkIAM(load(t, "."))) }

func TestNumericVariablesHaveConfigsBounds(t *testing.T) {
	expectNone(t, checkNumericBounds(load(t, ".")))
}

func TestWorkTimeoutIsBelowTheFunctionTimeout(t *testing.T) {
	expectNone(t, checkWorkTimeout(load(t, ".")))
}

func TestConcurrencyIsBounded(t *testing.T) { expectNone(t, checkConcurrency(load(t, "."))) }

func TestViewerRequestFunctionIsAttached(t *testing.T) {
	expectNone(t, checkViewerFunction(load(t, ".")))
}

func TestVariantsRevalidateInBrowsersAndStayAtTheEdge(t *testing.T) {
	expectNone(t, checkVariantCaching(load(t, ".")))
}

func TestEdgeOptionsWAFAndOriginShield(t *testing.T) { expectNone(t, checkEdge(load(t, "."))) }

func TestCDNLogsAreV2InUSEast1(t *testing.T) { expectNone(t, checkCDNLogs(load(t, "."))) }

func TestVariantVersionsExpireAfterADay(t *testing.T) { expectNone(t, checkLifecycle(load(t, "."))) }

func TestAlarmsOnOneTopic(t *testing.T) { expectNone(t, checkAlarms(load(t, "."))) }

func TestOutputs(t *testing.T) { expectNone(t, checkOutputs(load(t, "."))) }

func TestVersionsArePinned(t *testing.T) { expectNone(t, checkVersions(load(t, "."))) }

func TestNotFoundEdgeTTLIsPromised(t *testing.T) { expectNone(t, checkNotFoundTTL(load(t, "."))) }

func TestReadmeCoversProduction(t *testing.T) { expectNone(t, checkReadme(load(t, "."))) }

// The evaluator itself: placeholders and locals resolve as expected (guards the checks above
// against passing because nothing was evaluated).
func TestEvaluatorSeesThroughLocals(t *testing.T) {
	m := load(t, ".")
	arns, err := asStrings(m.ctx.Variables["local"].GetAttr("variant_object_arns"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"{{aws_s3_bucket.images.arn}}/original/*", "{{aws_s3_bucket.images.arn}}/webp/*", "{{aws_s3_bucket.images.arn}}/avif/*", "{{aws_s3_bucket.images.arn}}/meta/*"}
	if !slices.Equal(arns, want) {
		t.Errorf("local.variant_object_arns = %v, want %v", arns, want)
	}
	if got := len(m.ofType("aws_lambda_function")); got != 2 {
		t.Errorf("%d aws_lambda_function resources, want 2", got)
	}
}

// Each mutation breaks one piece of wiring in a copy of the module; the matching check must
// notice, or the checks above prove nothing.
func TestBrokenWiringIsCaught(t *testing.T) {
	cases := []struct {
		name, file, old, new string
		check                func(*module) problems
	}{
		{"variants immutable for browsers again", "variables.tf",
			`default     = "public, max-age=300, s-maxage=31536000"`, `default     = "public, max-age=31536000, immutable"`, checkVariantCaching},
		{"edge keeps variants a day only", "cdn.tf",
			`max_ttl     = 31536000`, `max_ttl     = 86400`, checkVariantCaching},
		{"viewer function with another allowlist", "cdn.tf",
			`"__ALLOWED_SIZES__", join(",", var.sizes))`, `"__ALLOWED_SIZES__", join(",", var.prewarm_formats))`, checkViewerFunction},
		{"viewer function at viewer-response", "cdn.tf",
			`event_type   = "viewer-request"`, `event_type   = "viewer-response"`, checkViewerFunction},
		{"viewer function not associated", "cdn.tf",
			`function_arn = aws_cloudfront_function.viewer_request.arn`, `function_arn = "arn:aws:cloudfront::123456789012:function/other"`, checkViewerFunction},
		{"viewer function on the old runtime", "cdn.tf",
			`runtime = "cloudfront-js-2.0"`, `runtime = "cloudfront-js-1.0"`, checkViewerFunction},
		{"notification on every prefix", "s3.tf",
			"filter_prefix = var.originals_prefix", `filter_prefix = ""`, checkNotification},
		{"notification without deletes", "s3.tf",
			`"s3:ObjectRemoved:*"`, `"s3:ObjectRestore:*"`, checkNotification},
		{"buffered function URL", "lambda.tf",
			`invoke_mode        = "RESPONSE_STREAM"`, `invoke_mode        = "BUFFERED"`, checkFunctionURL},
		{"public function URL", "lambda.tf",
			`authorization_type = "AWS_IAM"`, `authorization_type = "NONE"`, checkFunctionURL},
		{"misspelt environment name", "lambda.tf",
			"IMAGE_BUCKET        = aws_s3_bucket.images.id", "IMAGE_BUKET         = aws_s3_bucket.images.id", checkEnvironment},
		{"origin without JPEG_QUALITY", "lambda.tf",
			"      JPEG_QUALITY        = tostring(var.jpeg_quality)\n", "", checkEnvironment},
		{"origin given the distribution id", "lambda.tf",
			`ERROR_CACHE_CONTROL = var.error_cache_control`, "ERROR_CACHE_CONTROL = var.error_cache_control\nCLOUDFRONT_DISTRIBUTION_ID = \"E123\"", checkEnvironment},
		{"quality default drifts from config", "variables.tf",
			"default     = 80", "default     = 85", checkVariableDefaults},
		{"cache TTL default drifts from config", "variables.tf",
			`default     = "60s"`, `default     = "90s"`, checkEnvironment},
		{"sizes default drifts from config", "variables.tf",
			`default     = ["800x600", "400x300", "200x150"]`, `default     = ["800x600", "400x300"]`, checkEnvironment},
		{"invalid size reaches config.Load", "variables.tf",
			`default     = ["800x600", "400x300", "200x150"]`, `default     = ["800x600", "0x300"]`, checkEnvironment},
		{"wrong zip path", "main.tf",
			`origin_zip  = "${path.module}/../build/origin.zip"`, `origin_zip  = "${path.module}/../dist/origin.zip"`, checkPackages},
		{"wrong runtime", "lambda.tf",
			`runtime       = "provided.al2023"`, `runtime       = "provided.al2"`, checkPackages},
		{"wrong handler", "lambda.tf",
			`handler       = "bootstrap"`, `handler       = "main"`, checkPackages},
		{"CloudFront without InvokeFunction", "cdn.tf",
			"invoked_via_function_url = true", "invoked_via_function_url = false", checkCloudFront},
		{"CloudFront permission for any distribution", "cdn.tf",
			`source_arn             = aws_cloudfront_distribution.cdn.arn`, ``, checkCloudFront},
		{"cache key with query strings", "cdn.tf",
			`query_string_behavior = "none"`, `query_string_behavior = "all"`, checkCloudFront},
		{"writable originals", "iam.tf",
			`actions   = ["s3:GetObject"]`, `actions   = ["s3:GetObject", "s3:PutObject"]`, checkIAM},
		{"whole bucket writable", "iam.tf",
			`"${aws_s3_bucket.images.arn}/${f}*"]`, `"${aws_s3_bucket.images.arn}/*"]`, checkIAM},
		{"ListBucket without prefix condition", "iam.tf",
			`      values   = local.listable_prefixes`, `      values   = ["*"]`, checkIAM},
		{"no access to the /meta documents", "main.tf",
			`"avif/", "meta/"]`, `"avif/"]`, checkIAM},
		{"/meta documents' old versions kept", "main.tf",
			`"avif/", "meta/"]`, `"avif/"]`, checkLifecycle},
		{"origin may delete variants", "iam.tf",
			`actions   = ["s3:GetObject", "s3:PutObject"]`, `actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]`, checkIAM},

		// Bounded fan-out.
		{"pre-warm without reserved concurrency", "lambda.tf",
			"  reserved_concurrent_executions = var.prewarm_reserved_concurrency\n", "", checkConcurrency},
		{"pre-warm concurrency may be 0", "variables.tf",
			"var.prewarm_reserved_concurrency >= 1", "var.prewarm_reserved_concurrency >= 0", checkConcurrency},
		{"origin cap ignored", "lambda.tf",
			"reserved_concurrent_executions = var.origin_reserved_concurrency == null ? -1 : var.origin_reserved_concurrency", "reserved_concurrent_executions = -1", checkConcurrency},
		// Settings that cannot be wrong.
		{"max_source_bytes may be 0", "variables.tf",
			"var.max_source_bytes >= 1", "var.max_source_bytes >= 0", checkNumericBounds},
		{"max_frames may be fractional", "variables.tf",
			"&& floor(var.max_frames) == var.max_frames", "", checkNumericBounds},
		{"jpeg_quality above config's 100", "variables.tf",
			"var.jpeg_quality <= 100", "var.jpeg_quality <= 1000", checkNumericBounds},
		{"lru_bytes beyond int64", "variables.tf",
			"var.lru_bytes <= 9223372036854775807", "var.lru_bytes <= 1e30", checkNumericBounds},
		{"numeric variable without validation", "variables.tf",
			`    condition     = var.origin_5xx_alarm_percent > 0 && var.origin_5xx_alarm_percent <= 100
    error_message = "origin_5xx_alarm_percent: above 0, at most 100."
  }`, `  }`, checkNumericBounds},
		{"origin without WORK_TIMEOUT", "lambda.tf",
			"      WORK_TIMEOUT        = \"${local.origin_work_timeout_s}s\"\n", "", checkEnvironment},
		{"WORK_TIMEOUT at the function timeout", "main.tf",
			"max(1, var.origin_timeout_s - 3)", "var.origin_timeout_s", checkWorkTimeout},
		{"WORK_TIMEOUT precondition dropped", "lambda.tf",
			"condition     = local.origin_work_timeout_s < var.origin_timeout_s", "condition     = true", checkWorkTimeout},
		{"Terraform version unbounded", "versions.tf",
			`required_version = ">= 1.5, < 2.0"`, `required_version = ">= 1.5"`, checkVersions},
		{"provider pin loosened", "versions.tf",
			`version = "~> 6.28"`, `version = ">= 6.0"`, checkVersions},
		{"empty filter block", "s3.tf",
			"    filter {\n      prefix = \"\"\n    }", "    filter {}", checkLifecycle},
		// Cache-busting and versions.
		{"WAF outside us-east-1", "edge.tf",
			"  count    = var.waf_rate_limit == null ? 0 : 1\n  provider = aws.us_east_1\n", "  count    = var.waf_rate_limit == null ? 0 : 1\n", checkEdge},
		{"WAF on by default", "edge.tf",
			"count    = var.waf_rate_limit == null ? 0 : 1", "count    = 1", checkEdge},
		{"WAF rule only counts", "edge.tf",
			"    action {\n      block {}\n    }", "    action {\n      count {}\n    }", checkEdge},
		{"WAF not attached", "cdn.tf",
			"web_acl_id      = local.web_acl_arn", "web_acl_id      = var.web_acl_id", checkEdge},
		{"Origin Shield region ignored", "cdn.tf",
			"origin_shield_region = origin_shield.value", `origin_shield_region = "us-east-1"`, checkEdge},
		{"Origin Shield on by default", "cdn.tf",
			`for_each = var.origin_shield_region == null ? [] : [var.origin_shield_region]`, `for_each = ["us-east-1"]`, checkEdge},
		{"variant versions kept 30 days", "s3.tf",
			"        noncurrent_days = 1\n", "        noncurrent_days = 30\n", checkLifecycle},
		{"variant rule on the wrong prefix", "s3.tf",
			`prefix = rule.value`, `prefix = "variants/${rule.value}"`, checkLifecycle},
		{"originals expire after a day", "s3.tf",
			"      noncurrent_days = var.noncurrent_version_expiration_days", "      noncurrent_days = 1", checkLifecycle},
		{"404 promise ignores ERROR_CACHE_CONTROL", "cdn.tf",
			"not_found_edge_ttl_s = max(var.error_caching_min_ttl, local.error_s_maxage != null ? local.error_s_maxage : local.error_max_age)", "not_found_edge_ttl_s = var.error_caching_min_ttl", checkNotFoundTTL},
		{"README promises another 404 TTL", "README.md",
			"visible at the edge within **60 s**", "visible at the edge within **10 s**", checkNotFoundTTL},
		// What an operator sees.
		{"CDN logs source outside us-east-1", "edge.tf",
			"  count    = var.cdn_access_logs ? 1 : 0\n  provider = aws.us_east_1\n\n  name         = \"${var.name}-cdn\"", "  count    = var.cdn_access_logs ? 1 : 0\n\n  name         = \"${var.name}-cdn\"", checkCDNLogs},
		{"CDN logs on by default", "variables.tf",
			"log_retention_days.\"\n  type        = bool\n  default     = false", "log_retention_days.\"\n  type        = bool\n  default     = true", checkCDNLogs},
		{"CDN logs of the wrong type", "edge.tf",
			`log_type     = "ACCESS_LOGS"`, `log_type     = "APPLICATION_LOGS"`, checkCDNLogs},
		{"an alarm tells no one", "monitoring.tf",
			"  alarm_actions       = local.alarm_actions\n", "  alarm_actions       = []\n", checkAlarms},
		{"alarm topic variable ignored", "monitoring.tf",
			"alarm_topic_arn = var.alarm_topic_arn != null ? var.alarm_topic_arn : aws_sns_topic.alarms[0].arn", "alarm_topic_arn = aws_sns_topic.alarms[0].arn", checkAlarms},
		{"no pre-warm throttles alarm", "monitoring.tf",
			"  metric_name         = \"Throttles\"\n  dimensions          = { FunctionName = local.prewarm_function_name }", "  metric_name         = \"Invocations\"\n  dimensions          = { FunctionName = local.prewarm_function_name }", checkAlarms},
		{"no pre-warm errors alarm", "monitoring.tf",
			"  metric_name         = \"Errors\"\n  dimensions          = { FunctionName = local.prewarm_function_name }", "  metric_name         = \"Errors\"\n  dimensions          = { FunctionName = local.origin_function_name }", checkAlarms},
		{"duration alarm past the timeout", "monitoring.tf",
			"threshold           = var.origin_timeout_s * 1000 * var.origin_duration_alarm_percent / 100", "threshold           = var.origin_timeout_s * 1000 * 2", checkAlarms},
		{"SNS delivery alarm on another topic", "monitoring.tf",
			"dimensions          = { TopicName = local.topic_name }", `dimensions          = { TopicName = "other" }`, checkAlarms},
		{"CloudWatch may not use the topic key", "sns.tf",
			`identifiers = ["cloudwatch.amazonaws.com"]`, `identifiers = ["logs.amazonaws.com"]`, checkAlarms},
		{"role output names the wrong role", "outputs.tf",
			"value       = aws_iam_role.prewarm.arn", "value       = aws_iam_role.origin.arn", checkOutputs},
		{"README without the production section", "README.md",
			"## Running it in production", "## Notes", checkReadme},
	}
	files, err := filepath.Glob("*.tf")
	if err != nil || len(files) == 0 {
		t.Fatalf("no *.tf files: %v", err)
	}
	files = append(files, "README.md")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if f == c.file {
					if !strings.Contains(string(b), c.old) {
						t.Fatalf("%s no longer contains %q: update this case", f, c.old)
					}
					b = []byte(strings.Replace(string(b), c.old, c.new, 1))
				}
				if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if c.check(load(t, ".")) != nil {
				t.Fatalf("the intact module already fails this check")
			}
			p := c.check(load(t, dir))
			if len(p) == 0 {
				t.Fatalf("the check did not notice: %s", c.name)
			}
			t.Logf("caught: %s", strings.Join(p, "; "))
		})
	}
}
