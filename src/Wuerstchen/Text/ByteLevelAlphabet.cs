namespace Wuerstchen.Text;

/// <summary>
/// GPT-2's reversible byte ↔ character table used by CLIP's byte-level BPE: every UTF-8 byte becomes one
/// printable character so that merges and vocabulary entries are plain strings. Bytes that are already
/// printable Latin-1 ('!'..'~', '¡'..'¬', '®'..'ÿ') map to themselves; the other 68 bytes (controls, space,
/// DEL, NBSP, soft hyphen) map in increasing order to U+0100, U+0101, ….
/// </summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] _byteToChar = BuildByteToChar();
    private static readonly Dictionary<char, byte> _charToByte = BuildCharToByte(_byteToChar);

    public static char ToChar(byte b) => _byteToChar[b];

    public static bool TryGetByte(char c, out byte b) => _charToByte.TryGetValue(c, out b);

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }

    private static Dictionary<char, byte> BuildCharToByte(char[] byteToChar)
    {
        var map = new Dictionary<char, byte>(256);
        for (int b = 0; b < 256; b++) map[byteToChar[b]] = (byte)b;
        return map;
    }
}
