package terraform_test

// These tests read the Terraform module in this directory with hashicorp/hcl (no provider, no
// AWS) and check that it is wired to the code: each function's environment is exactly what
// handler/config reads, with config's defaults; the bucket notification filters on the originals
// prefix; the functions run the zips `make package` writes; the function URL is IAM-authenticated
// and streaming; CloudFront holds both invoke permissions; IAM covers exactly the originals prefix
// (read) and the variant prefixes (read/write).
//
// Expressions are evaluated as Terraform would with the variables' defaults. A reference to a
// resource or data source evaluates to a placeholder string such as
// "{{aws_s3_bucket.images.arn}}", so that ARNs built from it can be compared as text.
//
// Each check returns a list of problems; TestBrokenWiringIsCaught breaks a copy of the module in
// a temporary directory in several ways and requires the matching check to report it.

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/imgorigin/imgorigin/handler/config"
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
//   - PREWARM_SIZES: prewarm only (origin does not pre-warm; config defaults it to SIZES).
//   - ERROR_CACHE_CONTROL: origin only (prewarm answers no HTTP requests).
//   - LRU_TTL: origin only (prewarm runs with LRU_BYTES=0, no in-process cache).
var wantEnv = map[string][]string{
	"origin": {
		config.EnvBucket, config.EnvOriginalsPrefix, config.EnvSizes, config.EnvJPEGQuality,
		config.EnvCacheControl, config.EnvErrorCache, config.EnvLRUBytes, "LRU_TTL",
		config.EnvMaxSourceBytes, config.EnvMaxSourcePixels, config.EnvMaxFrames,
	},
	"prewarm": {
		config.EnvBucket, config.EnvOriginalsPrefix, config.EnvSizes, config.EnvPrewarmSizes,
		config.EnvJPEGQuality, config.EnvCacheControl, config.EnvLRUBytes, config.EnvMaxSourceBytes,
		config.EnvMaxSourcePixels, config.EnvMaxFrames, config.EnvDistributionID,
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
	locals    map[string]hclsyntax.Expression
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
	ctx, err := m.buildContext(all)
	if err != nil {
		return nil, err
	}
	m.ctx = ctx
	return m, nil
}

func (m *module) buildContext(all []*hclsyntax.Block) (*hcl.EvalContext, error) {
	vars := map[string]cty.Value{}
	for name, b := range m.variables {
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

	// Every reference to a resource or data source becomes a placeholder naming it.
	tree := refTree{}
	for _, b := range all {
		walkExprs(b.Body, func(e hclsyntax.Expression) {
			for _, tr := range e.Variables() {
				switch tr.RootName() {
				case "var", "local", "path", "each", "count", "self", "terraform":
					continue
				}
				tree.add(attrPath(tr))
			}
		})
	}
	for _, e := range m.locals {
		for _, tr := range e.Variables() {
			if tr.RootName() != "var" && tr.RootName() != "local" && tr.RootName() != "path" {
				tree.add(attrPath(tr))
			}
		}
	}

	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{
		"var":  cty.ObjectVal(vars),
		"path": cty.ObjectVal(map[string]cty.Value{"module": cty.StringVal("."), "root": cty.StringVal("."), "cwd": cty.StringVal(".")}),
	}, Functions: functions()}
	for root, sub := range tree {
		ctx.Variables[root] = sub.value([]string{root})
	}

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
	return ctx, nil
}

// refTree maps "aws_s3_bucket" -> "images" -> "arn" -> leaf.
type refTree map[string]refTree

func (t refTree) add(path []string) {
	if len(path) < 2 {
		return
	}
	sub, ok := t[path[0]]
	if !ok {
		sub = refTree{}
		t[path[0]] = sub
	}
	sub.add(path[1:])
	if len(path) == 2 {
		if _, ok := sub[path[1]]; !ok {
			sub[path[1]] = refTree{}
		}
	}
}

func (t refTree) value(path []string) cty.Value {
	if len(t) == 0 {
		return cty.StringVal("{{" + strings.Join(path, ".") + "}}")
	}
	attrs := map[string]cty.Value{}
	for k, sub := range t {
		attrs[k] = sub.value(append(slices.Clone(path), k))
	}
	return cty.ObjectVal(attrs)
}

// attrPath is the root and the attribute names of a traversal, up to its first index.
func attrPath(tr hcl.Traversal) []string {
	p := []string{tr.RootName()}
	for _, step := range tr[1:] {
		a, ok := step.(hcl.TraverseAttr)
		if !ok {
			break
		}
		p = append(p, a.Name)
	}
	return p
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
	return map[string]function.Function{
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
	wantListable := []string{prefix + "*"}
	for _, s := range sizes {
		wantListable = append(wantListable, s+"/*")
	}
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
		// Exactly: originals read-only, each variant prefix read/write (prewarm: and delete).
		want := map[string][]string{originals: {"s3:GetObject"}}
		for _, s := range sizes {
			want[bucket+"/"+s+"/*"] = variantActions
		}
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

// The evaluator itself: placeholders and locals resolve as expected (guards the checks above
// against passing because nothing was evaluated).
func TestEvaluatorSeesThroughLocals(t *testing.T) {
	m := load(t, ".")
	arns, err := asStrings(m.ctx.Variables["local"].GetAttr("variant_object_arns"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"{{aws_s3_bucket.images.arn}}/800x600/*", "{{aws_s3_bucket.images.arn}}/400x300/*", "{{aws_s3_bucket.images.arn}}/200x150/*"}
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
			`"${aws_s3_bucket.images.arn}/${s}/*"]`, `"${aws_s3_bucket.images.arn}/*"]`, checkIAM},
		{"ListBucket without prefix condition", "iam.tf",
			`      values   = local.listable_prefixes`, `      values   = ["*"]`, checkIAM},
		{"origin may delete variants", "iam.tf",
			`actions   = ["s3:GetObject", "s3:PutObject"]`, `actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]`, checkIAM},
	}
	files, err := filepath.Glob("*.tf")
	if err != nil || len(files) == 0 {
		t.Fatalf("no *.tf files: %v", err)
	}
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
