// Package sizetest holds test data shared by the tests of size and of the packages that parse
// sizes through it (variantpath).
package sizetest

// Malformed are size parts the contract rejects with 400.
var Malformed = []string{
	"",
	"x",
	"abc",
	"800",
	"800x",
	"x600",
	"0x10",
	"10x0",
	"0x0",
	"-1x5",
	"5x-1",
	"99999999x1",
	"1x99999999",
	"8193x1",
	"1x8193",
	"9999x9999",
	"800x600x1",
	"800xx600",
	"0800x600",
	"800x0600",
	"00x600",
	"+800x600",
	"800x+600",
	" 800x600",
	"800x600 ",
	"800 x600",
	"800x 600",
	"800X600",
	"800×600", // U+00D7 multiplication sign
	"８００x600", // fullwidth digits
	"٨٠٠x٦٠٠", // Arabic-Indic digits
	"८००x600", // Devanagari digits
	"800.0x600",
	"8e2x600",
	"0x10x10",
	"800x600/",
	"800\x00x600",
	"800x600\n",
	"\t800x600",
	"1_000x600",
	"0b1x1",
	"0x1F",
	"\xffx600",
}
