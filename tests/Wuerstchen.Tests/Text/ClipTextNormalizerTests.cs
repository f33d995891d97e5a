using Wuerstchen.Text;
using Wuerstchen.Text.Unicode;

namespace Wuerstchen.Tests.Text;

public class ClipTextNormalizerTests
{
    // Expected strings below are Python's unicodedata.normalize("NFC", ...) (Unicode 14) results.
    [Theory]
    [InlineData("cafe\u0301", "caf\u00e9")]                           // e + combining acute → é
    [InlineData("\u212b", "\u00c5")]                                  // ANGSTROM SIGN: singleton decomposition
    [InlineData("\u2126", "\u03a9")]                                  // OHM SIGN → GREEK CAPITAL OMEGA
    [InlineData("a\u0307\u0323", "\u1ea1\u0307")]                     // marks reordered by class, dot below composes first
    [InlineData("\u1100\u1161\u11a8", "\uac01")]                      // conjoining jamo L V T → Hangul syllable
    [InlineData("\uac00\u11a8", "\uac01")]                            // LV syllable + T
    [InlineData("\u0344", "\u0308\u0301")]                            // non-starter decomposition is never recomposed
    [InlineData("\u0958", "\u0915\u093c")]                            // composition exclusion (Devanagari QA)
    [InlineData("\u0b47\u0b3e", "\u0b4b")]                            // two starters compose
    [InlineData("\u0301e", "\u0301e")]                                // leading mark composes with nothing
    [InlineData("e\u0328\u0301", "\u0119\u0301")]                    // blocked? no: ogonek (202) then acute (230)
    [InlineData("\U0001D15E", "\U0001D157\U0001D165")]                // supplementary-plane exclusion
    [InlineData("\U000110AB", "\U000110AB")]                          // supplementary-plane composite stays
    [InlineData("plain ascii", "plain ascii")]
    public void CanonicalComposition_MatchesPythonNfc(string input, string expected)
    {
        Assert.Equal(expected, CanonicalComposition.Normalize(input));
    }

    [Fact]
    public void Normalize_CollapsesWhitespaceAndLowercases()
    {
        Assert.Equal(" a b c ", ClipTextNormalizer.Normalize("\t A \u00a0\n B\u3000C  "));
        // Code point by code point, as the tokenizers library does: no final-sigma rule (Python's str.lower
        // would give "σας").
        Assert.Equal("zürich σασ ｆ", ClipTextNormalizer.Normalize("ZÜRICH ΣΑΣ Ｆ"));
    }

    [Fact]
    public void Normalize_LowercasesDottedCapitalIAsRustDoes()
    {
        Assert.Equal("i\u0307stanbul", ClipTextNormalizer.Normalize("İstanbul"));
    }

    [Fact]
    public void Normalize_KeepsFormatCharactersAndLoneSurrogates()
    {
        Assert.Equal("zero\u200bwidth", ClipTextNormalizer.Normalize("zero\u200bwidth"));
        Assert.Equal("a\ud800b", ClipTextNormalizer.Normalize("A\ud800B"));
    }
}
