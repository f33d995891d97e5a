using Wuerstchen.Text;

namespace Wuerstchen.Tests.Text;

public class ClipPreTokenizerTests
{
    private static string[] Words(string text) => ClipPreTokenizer.Split(text).Select(w => text.Substring(w.Start, w.Length)).ToArray();

    [Theory]
    [InlineData("don't you'll we're", new[] { "don", "'t", "you", "'ll", "we", "'re" })]
    [InlineData("the dogs' toys", new[] { "the", "dogs", "'", "toys" })]
    [InlineData("!'s", new[] { "!'", "s" })]                                      // the punctuation run is greedy
    [InlineData("year 2023.", new[] { "year", "2", "0", "2", "3", "." })]
    [InlineData("c++ & c#", new[] { "c", "++", "&", "c", "#" })]
    [InlineData("snake_case", new[] { "snake", "_", "case" })]
    [InlineData("🐶 dog", new[] { "🐶", "dog" })]
    [InlineData("\U0001D400\U0001D401x", new[] { "\U0001D400\U0001D401x" })]        // letters outside the BMP
    [InlineData("ⅻ½", new[] { "ⅻ", "½" })]                                        // \p{N}: letter and other numbers
    [InlineData("   ", new string[0])]
    public void Split_FollowsTheClipPattern(string text, string[] expected)
    {
        Assert.Equal(expected, Words(text));
    }
}
