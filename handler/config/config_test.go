package config_test

import (
	"github.com/imgorigin/imgorigin/handler/variantpath"
	"reflect"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/imgorigin/imgorigin/handler/config"
	"github.com/imgorigin/imgorigin/handler/size"
)

// env is a map-backed getenv.
func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func mustSizes(t *testing.T, v string) []size.Size {
	t.Helper()
	l, err := size.ParseList(v)
	if err != nil {
		t.Fatalf("ParseList(%q): %v", v, err)
	}
	return l
}

func TestDefaults(t *testing.T) {
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatalf("Load with an empty environment: %v", err)
	}
	want := config.Config{
		Bucket:            "",
		OriginalsPrefix:   config.DefaultOriginalsPrefix,
		Sizes:             mustSizes(t, config.DefaultSizes),
		PrewarmSizes:      mustSizes(t, config.DefaultSizes),
		PrewarmFormats:    []variantpath.Format{variantpath.Original, variantpath.WebP},
		PathStyle:         false,
		JPEGQuality:       config.DefaultJPEGQuality,
		CacheControl:      config.DefaultCacheControl,
		ErrorCacheControl: config.DefaultErrorCache,
		LRUBytes:          config.DefaultLRUBytes,
		LRUTTL:            config.DefaultLRUTTL,
		MaxSourceBytes:    config.DefaultMaxSourceBytes,
		MaxSourcePixels:   config.DefaultMaxSourcePixels,
		MaxFrames:         config.DefaultMaxFrames,
		DistributionID:    "",
		WorkTimeout:       config.DefaultWorkTimeout,
		Crop:              "centre",
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Load(empty) =\n%+v\nwant\n%+v", c, want)
	}
	if d := config.Default(); !reflect.DeepEqual(d, want) {
		t.Errorf("Default() =\n%+v\nwant\n%+v", d, want)
	}
	if err := config.Default().Validate(); err != nil {
		t.Errorf("Default().Validate() = %v", err)
	}

	// The documented defaults of the contract.
	if config.DefaultOriginalsPrefix != "originals/" {
		t.Errorf("DefaultOriginalsPrefix = %q", config.DefaultOriginalsPrefix)
	}
	if !slices.Equal(c.Sizes, []size.Size{{W: 800, H: 600}, {W: 400, H: 300}, {W: 200, H: 150}}) {
		t.Errorf("default sizes = %v", c.Sizes)
	}
	if c.JPEGQuality != 80 {
		t.Errorf("default JPEG quality = %d, want 80", c.JPEGQuality)
	}
	if c.CacheControl != "public, max-age=300, s-maxage=31536000" {
		t.Errorf("default Cache-Control = %q", c.CacheControl)
	}
	if c.PathStyle {
		t.Error("S3_PATH_STYLE defaults to true, want false")
	}
}

func TestLoadNilUsesProcessEnvironment(t *testing.T) {
	for _, v := range config.Vars {
		t.Setenv(v, "")
	}
	t.Setenv(config.EnvBucket, "from-os-env")
	t.Setenv(config.EnvJPEGQuality, "55")
	c, err := config.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Bucket != "from-os-env" || c.JPEGQuality != 55 {
		t.Errorf("Load(nil) = %+v; want the process environment read", c)
	}
}

// TestEveryVarChangesConfig sets each variable in config.Vars, alone, to a valid value other
// than its default, and checks that exactly the expected field changes. A variable added to
// Vars without a row here fails the test.
func TestEveryVarChangesConfig(t *testing.T) {
	rows := map[string]struct {
		value string
		check func(c *config.Config) // sets on the default what the variable should set
	}{
		config.EnvBucket:          {"my-bucket", func(c *config.Config) { c.Bucket = "my-bucket" }},
		config.EnvOriginalsPrefix: {"uploads/raw/", func(c *config.Config) { c.OriginalsPrefix = "uploads/raw/" }},
		config.EnvSizes: {"1024x768,800x600", func(c *config.Config) {
			c.Sizes = []size.Size{{W: 1024, H: 768}, {W: 800, H: 600}}
			c.PrewarmSizes = c.Sizes // PREWARM_SIZES defaults to SIZES
		}},
		config.EnvPrewarmSizes: {"400x300", func(c *config.Config) { c.PrewarmSizes = []size.Size{{W: 400, H: 300}} }},
		config.EnvPrewarmFormats: {"avif, original", func(c *config.Config) {
			c.PrewarmFormats = []variantpath.Format{variantpath.AVIF, variantpath.Original}
		}},
		config.EnvPathStyle:       {"true", func(c *config.Config) { c.PathStyle = true }},
		config.EnvJPEGQuality:     {"92", func(c *config.Config) { c.JPEGQuality = 92 }},
		config.EnvCacheControl:    {"public, max-age=600", func(c *config.Config) { c.CacheControl = "public, max-age=600" }},
		config.EnvErrorCache:      {"public, max-age=5", func(c *config.Config) { c.ErrorCacheControl = "public, max-age=5" }},
		config.EnvLRUBytes:        {"0", func(c *config.Config) { c.LRUBytes = 0 }},
		config.EnvLRUTTL:          {"5m", func(c *config.Config) { c.LRUTTL = 5 * time.Minute }},
		config.EnvMaxSourceBytes:  {"1048576", func(c *config.Config) { c.MaxSourceBytes = 1 << 20 }},
		config.EnvMaxSourcePixels: {"1000000", func(c *config.Config) { c.MaxSourcePixels = 1_000_000 }},
		config.EnvMaxFrames:       {"3", func(c *config.Config) { c.MaxFrames = 3 }},
		config.EnvDistributionID:  {"E2EXAMPLE123", func(c *config.Config) { c.DistributionID = "E2EXAMPLE123" }},
		config.EnvWorkTimeout:     {"10s", func(c *config.Config) { c.WorkTimeout = 10 * time.Second }},
		config.EnvCrop:            {"Attention", func(c *config.Config) { c.Crop = "attention" }},
	}
	for _, name := range config.Vars {
		row, ok := rows[name]
		if !ok {
			t.Errorf("%s is in config.Vars but not tested here", name)
			continue
		}
		got, err := config.Load(env(map[string]string{name: row.value}))
		if err != nil {
			t.Errorf("%s=%q: %v", name, row.value, err)
			continue
		}
		want := config.Default()
		row.check(&want)
		if reflect.DeepEqual(want, config.Default()) {
			t.Errorf("%s: test row does not change anything", name)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s=%q: Load =\n%+v\nwant\n%+v", name, row.value, got, want)
		}
	}
	for name := range rows {
		if !slices.Contains(config.Vars, name) {
			t.Errorf("%s is read by Load but missing from config.Vars", name)
		}
	}
	if len(config.Vars) != len(rows) {
		t.Errorf("config.Vars has %d entries, want %d (duplicates?): %v", len(config.Vars), len(rows), config.Vars)
	}
}

// Unsetting a variable and setting it to "" or only spaces mean the same: the default.
func TestBlankMeansDefault(t *testing.T) {
	kv := map[string]string{}
	for _, v := range config.Vars {
		kv[v] = "  "
	}
	c, err := config.Load(env(kv))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, config.Default()) {
		t.Errorf("blank variables: %+v, want the defaults", c)
	}
}

func TestLoadAcceptsValidValues(t *testing.T) {
	for _, kv := range []map[string]string{
		{config.EnvJPEGQuality: "1"},
		{config.EnvJPEGQuality: "100"},
		{config.EnvJPEGQuality: " 75 "},
		{config.EnvPathStyle: "false"},
		{config.EnvPathStyle: "1"},
		{config.EnvPathStyle: "TRUE"},
		{config.EnvSizes: "800x600", config.EnvPrewarmSizes: "800x600"},
		{config.EnvSizes: "800x600,400x300", config.EnvPrewarmSizes: "400x300"},
		{config.EnvSizes: "8192x8192"},
		{config.EnvOriginalsPrefix: "a/"},
		{config.EnvOriginalsPrefix: "originals/nested/"},
		{config.EnvOriginalsPrefix: "0800x600/"}, // not a size the parser accepts, so no variant can collide
		{config.EnvMaxFrames: "1"},
		{config.EnvLRUBytes: "0"},
		{config.EnvLRUTTL: "1ms"},
		{config.EnvLRUTTL: "24h"},
		{config.EnvWorkTimeout: "1ms"},
		{config.EnvWorkTimeout: " 2m30s "},
	} {
		if _, err := config.Load(env(kv)); err != nil {
			t.Errorf("Load(%v): %v", kv, err)
		}
	}
}

// namesVar reports whether msg names the variable as a whole word (so that "SIZES" is not
// found inside "PREWARM_SIZES").
func namesVar(msg, name string) bool {
	return regexp.MustCompile(`(^|[^A-Z0-9_])` + regexp.QuoteMeta(name) + `([^A-Z0-9_]|$)`).MatchString(msg)
}

func TestLoadRejectsBadValues(t *testing.T) {
	for _, tc := range []struct {
		name string // the variable the message must name
		env  map[string]string
	}{
		{config.EnvJPEGQuality, map[string]string{config.EnvJPEGQuality: "0"}},
		{config.EnvJPEGQuality, map[string]string{config.EnvJPEGQuality: "101"}},
		{config.EnvJPEGQuality, map[string]string{config.EnvJPEGQuality: "abc"}},
		{config.EnvJPEGQuality, map[string]string{config.EnvJPEGQuality: "-1"}},
		{config.EnvJPEGQuality, map[string]string{config.EnvJPEGQuality: "80.5"}},
		{config.EnvJPEGQuality, map[string]string{config.EnvJPEGQuality: "99999999999999999999"}},
		{config.EnvSizes, map[string]string{config.EnvSizes: "abc"}},
		{config.EnvSizes, map[string]string{config.EnvSizes: "0x0"}},
		{config.EnvSizes, map[string]string{config.EnvSizes: "800x600,abc"}},
		{config.EnvSizes, map[string]string{config.EnvSizes: ","}},
		{config.EnvSizes, map[string]string{config.EnvSizes: "800X600"}},
		{config.EnvSizes, map[string]string{config.EnvSizes: "9000x9000"}},
		{config.EnvPrewarmSizes, map[string]string{config.EnvPrewarmSizes: "abc"}},
		{config.EnvPrewarmSizes, map[string]string{config.EnvPrewarmSizes: "1024x768"}},
		{config.EnvPrewarmSizes, map[string]string{config.EnvSizes: "400x300", config.EnvPrewarmSizes: "800x600"}},
		{config.EnvPrewarmSizes, map[string]string{config.EnvSizes: "400x300", config.EnvPrewarmSizes: "400x300,200x150"}},
		{config.EnvOriginalsPrefix, map[string]string{config.EnvOriginalsPrefix: "originals"}},
		{config.EnvOriginalsPrefix, map[string]string{config.EnvOriginalsPrefix: "/originals/"}},
		{config.EnvOriginalsPrefix, map[string]string{config.EnvOriginalsPrefix: "/"}},
		{config.EnvOriginalsPrefix, map[string]string{config.EnvOriginalsPrefix: "800x600/"}},
		{config.EnvOriginalsPrefix, map[string]string{config.EnvOriginalsPrefix: "webp/"}},
		{config.EnvOriginalsPrefix, map[string]string{config.EnvOriginalsPrefix: "original/uploads/"}},
		{config.EnvPrewarmFormats, map[string]string{config.EnvPrewarmFormats: "jpeg"}},
		{config.EnvPrewarmFormats, map[string]string{config.EnvPrewarmFormats: "webp,webp"}},
		{config.EnvOriginalsPrefix, map[string]string{config.EnvOriginalsPrefix: "400x300/sub/"}},
		{config.EnvOriginalsPrefix, map[string]string{config.EnvOriginalsPrefix: "1x1/"}},
		{config.EnvPathStyle, map[string]string{config.EnvPathStyle: "maybe"}},
		{config.EnvPathStyle, map[string]string{config.EnvPathStyle: "yes"}},
		{config.EnvMaxSourceBytes, map[string]string{config.EnvMaxSourceBytes: "-1"}},
		{config.EnvMaxSourceBytes, map[string]string{config.EnvMaxSourceBytes: "0"}},
		{config.EnvMaxSourceBytes, map[string]string{config.EnvMaxSourceBytes: "40MB"}},
		{config.EnvMaxSourcePixels, map[string]string{config.EnvMaxSourcePixels: "-1"}},
		{config.EnvMaxSourcePixels, map[string]string{config.EnvMaxSourcePixels: "0"}},
		{config.EnvMaxSourcePixels, map[string]string{config.EnvMaxSourcePixels: "1e8"}},
		{config.EnvMaxFrames, map[string]string{config.EnvMaxFrames: "-1"}},
		{config.EnvMaxFrames, map[string]string{config.EnvMaxFrames: "0"}},
		{config.EnvMaxFrames, map[string]string{config.EnvMaxFrames: "many"}},
		{config.EnvLRUBytes, map[string]string{config.EnvLRUBytes: "-1"}},
		{config.EnvLRUBytes, map[string]string{config.EnvLRUBytes: "lots"}},
		{config.EnvLRUTTL, map[string]string{config.EnvLRUTTL: "abc"}},
		{config.EnvLRUTTL, map[string]string{config.EnvLRUTTL: "60"}}, // no unit
		{config.EnvLRUTTL, map[string]string{config.EnvLRUTTL: "0s"}},
		{config.EnvLRUTTL, map[string]string{config.EnvLRUTTL: "-1s"}},
		{config.EnvWorkTimeout, map[string]string{config.EnvWorkTimeout: "25"}}, // no unit
		{config.EnvWorkTimeout, map[string]string{config.EnvWorkTimeout: "0s"}},
		{config.EnvWorkTimeout, map[string]string{config.EnvWorkTimeout: "-1s"}},
		{config.EnvCrop, map[string]string{config.EnvCrop: "center"}},
		{config.EnvCrop, map[string]string{config.EnvCrop: "smart"}},
	} {
		c, err := config.Load(env(tc.env))
		if err == nil {
			t.Errorf("Load(%v) = %+v, want an error naming %s", tc.env, c, tc.name)
			continue
		}
		if !namesVar(err.Error(), tc.name) {
			t.Errorf("Load(%v): error %q does not name %s", tc.env, err, tc.name)
		}
	}
}

// Several bad variables at once: each one that Load can see is named.
func TestLoadNamesEveryBadParse(t *testing.T) {
	_, err := config.Load(env(map[string]string{
		config.EnvJPEGQuality: "abc",
		config.EnvPathStyle:   "maybe",
		config.EnvSizes:       "abc",
		config.EnvMaxFrames:   "-1",
	}))
	if err == nil {
		t.Fatal("want an error")
	}
	for _, name := range []string{config.EnvJPEGQuality, config.EnvPathStyle, config.EnvSizes, config.EnvMaxFrames} {
		if !namesVar(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestValidate(t *testing.T) {
	if err := (config.Config{}).Validate(); err == nil {
		t.Error("zero Config validates; want an error")
	} else {
		for _, name := range []string{config.EnvOriginalsPrefix, config.EnvSizes, config.EnvJPEGQuality, config.EnvMaxSourceBytes, config.EnvMaxSourcePixels, config.EnvMaxFrames, config.EnvWorkTimeout} {
			if !namesVar(err.Error(), name) {
				t.Errorf("zero Config: error %q does not name %s", err, name)
			}
		}
	}
	c := config.Default()
	c.Sizes = nil
	c.PrewarmSizes = nil
	if err := c.Validate(); err == nil || !namesVar(err.Error(), config.EnvSizes) {
		t.Errorf("no sizes: Validate = %v, want an error naming SIZES", err)
	}
}
