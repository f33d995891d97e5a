using System.IO.Compression;
using System.Text;

namespace Wuerstchen.IO.Png;

/// <summary>
/// A PNG text entry (keyword → text), e.g. the generation parameters of an image. Written as <c>tEXt</c> when
/// keyword and text are Latin-1 and no language is given, otherwise as <c>iTXt</c> (UTF-8); read back from
/// <c>tEXt</c>, <c>zTXt</c> and <c>iTXt</c>.
/// </summary>
public sealed record PngText(string Keyword, string Text, string LanguageTag = "", string TranslatedKeyword = "");

/// <summary>Encoding and decoding of the three text chunk types.</summary>
internal static class PngTextChunks
{
    /// <summary>Decompressed text beyond this is refused: a few bytes of zTXt must not inflate to gigabytes.</summary>
    public const int MaxDecompressedText = 16 << 20;

    private static readonly Encoding Latin1 = Encoding.Latin1;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Keywords: 1–79 printable Latin-1 characters, no leading, trailing or doubled spaces (PNG spec 11.3.4.2).</summary>
    public static void ValidateKeyword(string keyword)
    {
        string problem = keyword.Length is 0 or > 79 ? $"has {keyword.Length} characters (1 to 79 allowed)"
            : keyword.Any(ch => !(ch is >= (char)32 and <= (char)126 || ch is >= (char)161 and <= (char)255)) ? "has characters outside printable Latin-1"
            : keyword[0] == ' ' || keyword[^1] == ' ' || keyword.Contains("  ", StringComparison.Ordinal) ? "has leading, trailing or consecutive spaces"
            : "";
        if (problem.Length > 0) throw new ArgumentException($"PNG text keyword '{keyword}' {problem}.", nameof(keyword));
    }

    private static bool IsLatin1(string s) => s.All(ch => ch <= (char)255);

    /// <summary>Returns the chunk type and data for one entry.</summary>
    public static (string Type, byte[] Data) Encode(PngText entry)
    {
        ValidateKeyword(entry.Keyword);
        if (entry.Text.Contains('\0')) throw new ArgumentException($"PNG text '{entry.Keyword}' contains a NUL character.", nameof(entry));
        if (entry.LanguageTag.Contains('\0') || entry.TranslatedKeyword.Contains('\0'))
            throw new ArgumentException($"PNG text '{entry.Keyword}' has a NUL in its language tag or translated keyword.", nameof(entry));

        var data = new MemoryStream();
        data.Write(Latin1.GetBytes(entry.Keyword));
        data.WriteByte(0);
        if (IsLatin1(entry.Text) && entry.LanguageTag.Length == 0 && entry.TranslatedKeyword.Length == 0)
        {
            data.Write(Latin1.GetBytes(entry.Text));
            return ("tEXt", data.ToArray());
        }
        data.WriteByte(0); // not compressed
        data.WriteByte(0); // compression method (zlib), unused when not compressed
        data.Write(Encoding.ASCII.GetBytes(entry.LanguageTag));
        data.WriteByte(0);
        data.Write(StrictUtf8.GetBytes(entry.TranslatedKeyword));
        data.WriteByte(0);
        data.Write(StrictUtf8.GetBytes(entry.Text));
        return ("iTXt", data.ToArray());
    }

    /// <summary>Decodes a tEXt, zTXt or iTXt chunk; throws <see cref="InvalidDataException"/> naming <paramref name="source"/>.</summary>
    public static PngText Decode(string source, string type, ReadOnlySpan<byte> data)
    {
        int nul = data.IndexOf((byte)0);
        if (nul < 0) throw new InvalidDataException($"{source}: {type} chunk has no keyword terminator.");
        if (nul is 0 or > 79) throw new InvalidDataException($"{source}: {type} chunk keyword has {nul} bytes (1 to 79 allowed).");
        var keyword = Latin1.GetString(data[..nul]);
        var rest = data[(nul + 1)..];
        try
        {
            switch (type)
            {
                case "tEXt":
                    return new PngText(keyword, Latin1.GetString(rest));
                case "zTXt":
                    if (rest.Length < 1 || rest[0] != 0) throw new InvalidDataException($"{source}: zTXt '{keyword}' uses an unknown compression method.");
                    return new PngText(keyword, Latin1.GetString(Inflate(source, type, keyword, rest[1..])));
                case "iTXt":
                {
                    if (rest.Length < 2) throw new InvalidDataException($"{source}: iTXt '{keyword}' is truncated.");
                    byte compressed = rest[0], method = rest[1];
                    if (compressed > 1 || (compressed == 1 && method != 0))
                        throw new InvalidDataException($"{source}: iTXt '{keyword}' has compression flag {compressed}, method {method}.");
                    rest = rest[2..];
                    int languageEnd = rest.IndexOf((byte)0);
                    if (languageEnd < 0) throw new InvalidDataException($"{source}: iTXt '{keyword}' has no language tag terminator.");
                    var language = Latin1.GetString(rest[..languageEnd]);
                    rest = rest[(languageEnd + 1)..];
                    int translatedEnd = rest.IndexOf((byte)0);
                    if (translatedEnd < 0) throw new InvalidDataException($"{source}: iTXt '{keyword}' has no translated keyword terminator.");
                    var translated = StrictUtf8.GetString(rest[..translatedEnd]);
                    rest = rest[(translatedEnd + 1)..];
                    var text = compressed == 1 ? Inflate(source, type, keyword, rest) : rest.ToArray();
                    return new PngText(keyword, StrictUtf8.GetString(text), language, translated);
                }
                default:
                    throw new ArgumentException($"{type} is not a text chunk.", nameof(type));
            }
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{source}: {type} '{keyword}' is not valid UTF-8.", e);
        }
    }

    private static byte[] Inflate(string source, string type, string keyword, ReadOnlySpan<byte> compressed)
    {
        using var output = new MemoryStream();
        bool tooLarge = false;
        try
        {
            using var z = new ZLibStream(new MemoryStream(compressed.ToArray()), CompressionMode.Decompress);
            var buffer = new byte[1 << 14];
            int n;
            while ((n = z.Read(buffer)) > 0)
            {
                if (output.Length + n > MaxDecompressedText) { tooLarge = true; break; }
                output.Write(buffer, 0, n);
            }
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{source}: {type} '{keyword}' is not a valid zlib stream ({e.Message})", e);
        }
        if (tooLarge) throw new InvalidDataException($"{source}: {type} '{keyword}' inflates past {MaxDecompressedText} bytes.");
        return output.ToArray();
    }
}
