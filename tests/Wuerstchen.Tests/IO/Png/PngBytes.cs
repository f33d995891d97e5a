using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Wuerstchen.Tests.IO.Png;

/// <summary>
/// Test-side PNG assembly and inspection, written independently of the codec under test: builds files chunk
/// by chunk (with correct CRCs, so a test can make one thing wrong at a time) and lists the chunks of a file.
/// </summary>
public static class PngBytes
{
    public static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    private static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    public static uint Crc(ReadOnlySpan<byte> bytes)
    {
        uint c = 0xFFFFFFFFu;
        foreach (var b in bytes) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return ~c;
    }

    public static byte[] Chunk(string type, ReadOnlySpan<byte> data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(chunk, (uint)data.Length);
        Encoding.Latin1.GetBytes(type, chunk.AsSpan(4, 4));
        data.CopyTo(chunk.AsSpan(8));
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), Crc(chunk.AsSpan(4, 4 + data.Length)));
        return chunk;
    }

    public static byte[] Ihdr(uint width, uint height, byte depth, byte colorType, byte interlace = 0, byte compression = 0, byte filter = 0)
    {
        var d = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(d, width);
        BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(4), height);
        d[8] = depth; d[9] = colorType; d[10] = compression; d[11] = filter; d[12] = interlace;
        return Chunk("IHDR", d);
    }

    public static byte[] Zlib(ReadOnlySpan<byte> raw)
    {
        var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal, leaveOpen: true)) z.Write(raw);
        return ms.ToArray();
    }

    public static byte[] Idat(ReadOnlySpan<byte> raw) => Chunk("IDAT", Zlib(raw));

    public static byte[] Iend() => Chunk("IEND", []);

    public static byte[] File(params byte[][] chunks) => [.. Signature, .. chunks.SelectMany(c => c)];

    /// <summary>(type, data) of every chunk, trusting the file's lengths (only for well-formed files).</summary>
    public static List<(string Type, byte[] Data)> Chunks(byte[] png)
    {
        var list = new List<(string, byte[])>();
        for (int pos = 8; pos < png.Length;)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            list.Add((Encoding.Latin1.GetString(png, pos + 4, 4), png.AsSpan(pos + 8, length).ToArray()));
            pos += 12 + length;
        }
        return list;
    }
}
