using System.Globalization;
using System.Text;

namespace Wuerstchen.Text;

/// <summary>
/// Splits normalised text into the words BPE runs on: the matches of CLIP's pattern
/// <c>'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c> (leftmost-first alternation, whitespace between
/// matches dropped). A hand-written scanner instead of a Regex: same matches, no allocation per character,
/// and categories are taken per code point so that letters outside the BMP count as letters.
/// Every digit is its own word; runs of punctuation/symbols (including emoji and format characters such as
/// U+200D) stay together.
/// </summary>
public static class ClipPreTokenizer
{
    private static readonly string[] _contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"];

    /// <summary>The (start, length) ranges of the words of <paramref name="text"/>, in order.</summary>
    public static List<(int Start, int Length)> Split(string text)
    {
        var words = new List<(int, int)>();
        int i = 0;
        while (i < text.Length)
        {
            var kind = Classify(text, i, out int width);
            if (kind == CharKind.Whitespace) { i += width; continue; }

            int start = i;
            if (text[i] == '\'' && MatchContraction(text, i) is int len and > 0)
            {
                i += len;
            }
            else if (kind == CharKind.Letter)
            {
                i += width;
                while (i < text.Length && Classify(text, i, out width) == CharKind.Letter) i += width;
            }
            else if (kind == CharKind.Number)
            {
                i += width;
            }
            else
            {
                i += width;
                while (i < text.Length && Classify(text, i, out width) == CharKind.Other) i += width;
            }
            words.Add((start, i - start));
        }
        return words;
    }

    private static int MatchContraction(string text, int i)
    {
        foreach (var c in _contractions)
            if (string.CompareOrdinal(text, i, c, 0, c.Length) == 0) return c.Length;
        return 0;
    }

    private enum CharKind { Whitespace, Letter, Number, Other }

    private static CharKind Classify(string text, int i, out int width)
    {
        char c = text[i];
        width = 1;
        if (c < 0x80)
        {
            if (c is >= 'a' and <= 'z' or >= 'A' and <= 'Z') return CharKind.Letter;
            if (c is >= '0' and <= '9') return CharKind.Number;
            return char.IsWhiteSpace(c) ? CharKind.Whitespace : CharKind.Other;
        }
        if (char.IsWhiteSpace(c)) return CharKind.Whitespace;
        UnicodeCategory category;
        if (Rune.TryGetRuneAt(text, i, out var rune))
        {
            width = rune.Utf16SequenceLength;
            category = Rune.GetUnicodeCategory(rune);
        }
        else
        {
            category = UnicodeCategory.Surrogate; // lone surrogate: neither letter nor number
        }
        return category switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CharKind.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CharKind.Number,
            _ => CharKind.Other,
        };
    }
}
