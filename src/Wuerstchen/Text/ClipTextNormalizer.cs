using System.Text;
using Wuerstchen.Text.Unicode;

namespace Wuerstchen.Text;

/// <summary>
/// The normaliser of Hugging Face's CLIPTokenizerFast (what the diffusers pipelines load): Unicode NFC, every
/// run of whitespace replaced by one space, then lower-casing code point by code point.
/// Unlike openai's original tokenizer there is no ftfy repair, no HTML unescaping and no strip; prompts like
/// "&amp;" or a decomposed "é" therefore give the fast tokenizer's ids, which is what the pipelines feed the
/// text encoders.
/// </summary>
public static class ClipTextNormalizer
{
    public static string Normalize(string text)
    {
        string nfc = CanonicalComposition.Normalize(text);
        var sb = new StringBuilder(nfc.Length);
        bool inWhitespace = false;
        for (int i = 0; i < nfc.Length; i++)
        {
            char c = nfc[i];
            // char.IsWhiteSpace is exactly Unicode's White_Space property, which is what the tokenizers
            // library's regex \s matches (no White_Space character lies outside the BMP).
            if (char.IsWhiteSpace(c))
            {
                if (!inWhitespace) sb.Append(' ');
                inWhitespace = true;
                continue;
            }
            inWhitespace = false;
            if (char.IsHighSurrogate(c) && i + 1 < nfc.Length && char.IsLowSurrogate(nfc[i + 1]))
            {
                AppendLower(sb, new Rune(c, nfc[++i]));
            }
            else if (char.IsSurrogate(c))
            {
                sb.Append(c); // lone surrogate: no case, left for the UTF-8 encoder to replace
            }
            else
            {
                AppendLower(sb, new Rune(c));
            }
        }
        return sb.ToString();
    }

    private static void AppendLower(StringBuilder sb, Rune r)
    {
        // Rust's char::to_lowercase (used by the tokenizers library) applies the one unconditional multi-character
        // mapping of SpecialCasing.txt: U+0130 'İ' → "i̇". .NET's invariant casing keeps U+0130 unchanged.
        if (r.Value == 0x130) { sb.Append("i\u0307"); return; }
        var lower = Rune.ToLowerInvariant(r);
        Span<char> buf = stackalloc char[2];
        sb.Append(buf[..lower.EncodeToUtf16(buf)]);
    }
}
