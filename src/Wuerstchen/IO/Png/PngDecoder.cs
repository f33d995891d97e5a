using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Wuerstchen.IO.Png;

/// <summary>
/// Decodes a complete PNG held in memory: every colour type and bit depth, palettes with transparency,
/// Adam7 interlacing and text chunks. Every chunk's CRC is checked and every length is checked against what
/// remains before it is used, so damaged or hostile input ends in an <see cref="InvalidDataException"/> that
/// names the source, never in an out-of-range read or an unbounded allocation.
/// <para>
/// Output: 8-bit samples for bit depths 1–8 (grey levels scaled to 0..255 by bit replication, as libpng's
/// expand does), 16-bit samples for 16-bit files; palettes are expanded to RGB, or RGBA when the file has a
/// tRNS chunk; a tRNS colour key on grey or RGB images becomes an alpha channel.
/// </para>
/// </summary>
internal static class PngDecoder
{
    public static ReadOnlySpan<byte> Signature => [137, 80, 78, 71, 13, 10, 26, 10];

    /// <summary>Deflate cannot expand data by more than about 1032:1; more than this means the IDAT data is short.</summary>
    private const long MaxInflationRatio = 1100;

    private sealed class State
    {
        public PngHeader? Header;
        public byte[]? Palette;
        public byte[]? Transparency;
        public readonly List<PngText> Text = [];
        public readonly MemoryStream ImageData = new();
        public bool InImageData, ImageDataEnded, Ended;
    }

    public static PngImage Decode(ReadOnlySpan<byte> png, string source, long maxPixels)
    {
        if (png.Length < Signature.Length || !png[..Signature.Length].SequenceEqual(Signature))
            throw new InvalidDataException($"{source}: not a PNG file (bad signature).");

        var state = new State();
        int pos = Signature.Length;
        while (!state.Ended)
        {
            if (png.Length - pos < 12)
                throw new InvalidDataException(pos == png.Length
                    ? $"{source}: ends without an IEND chunk (truncated)."
                    : $"{source}: chunk at offset {pos} is truncated ({png.Length - pos} bytes left, a chunk needs at least 12).");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(png[pos..]);
            var typeBytes = png.Slice(pos + 4, 4);
            if (!IsChunkType(typeBytes))
                throw new InvalidDataException($"{source}: chunk at offset {pos} has an invalid type (bytes {Convert.ToHexString(typeBytes)}).");
            string type = Encoding.ASCII.GetString(typeBytes);
            if (length > int.MaxValue || length > (uint)(png.Length - pos - 12))
                throw new InvalidDataException($"{source}: chunk {type} at offset {pos} claims {length} bytes but only {png.Length - pos - 12} remain (truncated).");
            var data = png.Slice(pos + 8, (int)length);
            uint storedCrc = BinaryPrimitives.ReadUInt32BigEndian(png[(pos + 8 + (int)length)..]);
            uint crc = Crc32.Compute(png.Slice(pos + 4, 4 + (int)length));
            if (crc != storedCrc)
                throw new InvalidDataException($"{source}: chunk {type} at offset {pos} has CRC {storedCrc:X8}, computed {crc:X8} (corrupt).");
            HandleChunk(source, type, data, state);
            pos += 12 + (int)length;
        }

        var header = state.Header!;
        if (!state.InImageData && !state.ImageDataEnded)
            throw new InvalidDataException($"{source}: has no IDAT chunk (no image data).");
        var image = Reconstruct(source, header, state, maxPixels);
        return new PngImage(image, header, state.Text);
    }

    private static bool IsChunkType(ReadOnlySpan<byte> type)
    {
        foreach (var b in type)
            if (!(b is >= (byte)'A' and <= (byte)'Z' || b is >= (byte)'a' and <= (byte)'z')) return false;
        return true;
    }

    private static void HandleChunk(string source, string type, ReadOnlySpan<byte> data, State s)
    {
        if (s.Header is null && type != "IHDR")
            throw new InvalidDataException($"{source}: first chunk is {type}; a PNG starts with IHDR.");
        if (type != "IDAT" && s.InImageData)
        {
            s.InImageData = false;
            s.ImageDataEnded = true;
        }
        switch (type)
        {
            case "IHDR":
                if (s.Header is not null) throw new InvalidDataException($"{source}: has a second IHDR chunk.");
                s.Header = ParseHeader(source, data);
                break;
            case "PLTE":
                ParsePalette(source, data, s);
                break;
            case "tRNS":
                ParseTransparency(source, data, s);
                break;
            case "IDAT":
                if (s.ImageDataEnded) throw new InvalidDataException($"{source}: IDAT chunks are not consecutive.");
                if (s.Header!.ColorType == PngColorType.Palette && s.Palette is null)
                    throw new InvalidDataException($"{source}: palette image has no PLTE chunk before its image data.");
                s.InImageData = true;
                s.ImageData.Write(data);
                break;
            case "IEND":
                if (data.Length != 0) throw new InvalidDataException($"{source}: IEND chunk is not empty.");
                s.Ended = true; // anything after IEND is ignored, as other decoders do
                break;
            case "tEXt" or "zTXt" or "iTXt":
                s.Text.Add(PngTextChunks.Decode(source, type, data));
                break;
            default:
                // Bit 5 of the first letter: lowercase = ancillary, safe to skip; uppercase = critical, needed to decode.
                if (char.IsUpper(type[0])) throw new InvalidDataException($"{source}: unknown critical chunk {type}.");
                break;
        }
    }

    private static PngHeader ParseHeader(string source, ReadOnlySpan<byte> d)
    {
        if (d.Length != 13) throw new InvalidDataException($"{source}: IHDR has {d.Length} bytes, expected 13.");
        uint width = BinaryPrimitives.ReadUInt32BigEndian(d), height = BinaryPrimitives.ReadUInt32BigEndian(d[4..]);
        byte depth = d[8], color = d[9], compression = d[10], filter = d[11], interlace = d[12];
        if (width is 0 or > int.MaxValue || height is 0 or > int.MaxValue)
            throw new InvalidDataException($"{source}: image size {width}×{height} is invalid (1 to 2^31−1 per side).");
        if (!Enum.IsDefined((PngColorType)color) || !PngHeader.IsValidCombination((PngColorType)color, depth))
            throw new InvalidDataException($"{source}: colour type {color} with bit depth {depth} is not allowed.");
        if (compression != 0) throw new InvalidDataException($"{source}: unknown compression method {compression}.");
        if (filter != 0) throw new InvalidDataException($"{source}: unknown filter method {filter}.");
        if (interlace > 1) throw new InvalidDataException($"{source}: unknown interlace method {interlace}.");
        return new PngHeader((int)width, (int)height, depth, (PngColorType)color, interlace == 1);
    }

    private static void ParsePalette(string source, ReadOnlySpan<byte> d, State s)
    {
        var h = s.Header!;
        if (s.Palette is not null) throw new InvalidDataException($"{source}: has a second PLTE chunk.");
        if (s.InImageData || s.ImageDataEnded) throw new InvalidDataException($"{source}: PLTE comes after the image data.");
        if (s.Transparency is not null) throw new InvalidDataException($"{source}: PLTE comes after tRNS.");
        if (h.ColorType is PngColorType.Grey or PngColorType.GreyAlpha)
            throw new InvalidDataException($"{source}: greyscale image has a PLTE chunk.");
        int entries = d.Length / 3;
        if (d.Length % 3 != 0 || entries is 0 or > 256)
            throw new InvalidDataException($"{source}: PLTE has {d.Length} bytes; expected 3 per entry, 1 to 256 entries.");
        if (h.ColorType == PngColorType.Palette && entries > 1 << h.BitDepth)
            throw new InvalidDataException($"{source}: PLTE has {entries} entries, more than bit depth {h.BitDepth} can index.");
        s.Palette = d.ToArray();
    }

    private static void ParseTransparency(string source, ReadOnlySpan<byte> d, State s)
    {
        var h = s.Header!;
        if (s.Transparency is not null) throw new InvalidDataException($"{source}: has a second tRNS chunk.");
        if (s.InImageData || s.ImageDataEnded) throw new InvalidDataException($"{source}: tRNS comes after the image data.");
        int expected = h.ColorType switch
        {
            PngColorType.Grey => 2,
            PngColorType.Rgb => 6,
            PngColorType.Palette => s.Palette is null
                ? throw new InvalidDataException($"{source}: tRNS comes before PLTE.")
                : d.Length <= s.Palette.Length / 3 ? d.Length : throw new InvalidDataException($"{source}: tRNS has {d.Length} entries for a {s.Palette.Length / 3}-entry palette."),
            _ => throw new InvalidDataException($"{source}: tRNS is not allowed for colour type {h.ColorType}, which has an alpha channel."),
        };
        if (d.Length != expected) throw new InvalidDataException($"{source}: tRNS has {d.Length} bytes, expected {expected} for colour type {h.ColorType}.");
        s.Transparency = d.ToArray();
    }

    private static Image Reconstruct(string source, PngHeader h, State s, long maxPixels)
    {
        long pixels = (long)h.Width * h.Height;
        if (pixels > maxPixels)
            throw new InvalidDataException($"{source}: image {h.Width}×{h.Height} has more than the {maxPixels} pixels allowed.");
        var passes = h.Interlaced ? Adam7Pass.Interlaced : Adam7Pass.Progressive;
        long rawLength = 0;
        foreach (var p in passes)
        {
            int cols = p.Columns(h.Width), rows = p.Rows(h.Height);
            if (cols > 0 && rows > 0) rawLength += rows * (1 + h.RowBytes(cols));
        }
        int outChannels = OutputChannels(h, s.Transparency is not null);
        if (rawLength > Array.MaxLength || pixels * outChannels > Array.MaxLength)
            throw new InvalidDataException($"{source}: image {h.Width}×{h.Height} is too large to decode in memory.");
        long compressed = s.ImageData.Length;
        if (rawLength > compressed * MaxInflationRatio + 4096)
            throw new InvalidDataException($"{source}: {compressed} bytes of IDAT data cannot hold the {rawLength} bytes a {h.Width}×{h.Height} image needs (truncated).");

        var raw = Inflate(source, s.ImageData, (int)rawLength);
        var image = new Image(h.Width, h.Height, outChannels, h.BitDepth == 16 ? 16 : 8);
        var unpacker = new RowUnpacker(h, s.Palette, s.Transparency, image);
        int offset = 0;
        foreach (var p in passes)
        {
            int cols = p.Columns(h.Width), rows = p.Rows(h.Height);
            if (cols == 0 || rows == 0) continue;
            int rowBytes = (int)h.RowBytes(cols);
            ReadOnlySpan<byte> previous = new byte[rowBytes]; // the row above the first is zeros
            for (int r = 0; r < rows; r++)
            {
                byte filter = raw[offset];
                if (filter > (byte)PngFilter.Paeth)
                    throw new InvalidDataException($"{source}: row {r}{(h.Interlaced ? $" of interlace pass {Array.IndexOf(passes, p) + 1}" : "")} has unknown filter type {filter}.");
                var row = raw.AsSpan(offset + 1, rowBytes);
                PngFilters.Unfilter((PngFilter)filter, row, previous, h.FilterStride);
                unpacker.Unpack(source, row, cols, p.YStart + r * p.YStep, p.XStart, p.XStep);
                previous = row;
                offset += 1 + rowBytes;
            }
        }
        return image;
    }

    private static int OutputChannels(PngHeader h, bool transparency) => h.ColorType switch
    {
        PngColorType.Grey => transparency ? 2 : 1,
        PngColorType.GreyAlpha => 2,
        PngColorType.Rgb or PngColorType.Palette => transparency ? 4 : 3,
        _ => 4,
    };

    /// <summary>Inflates exactly <paramref name="length"/> bytes and checks that the zlib stream ends there.</summary>
    private static byte[] Inflate(string source, MemoryStream compressed, int length)
    {
        var raw = new byte[length];
        int got;
        bool more;
        try
        {
            using var z = new ZLibStream(new MemoryStream(compressed.GetBuffer(), 0, (int)compressed.Length, writable: false), CompressionMode.Decompress);
            got = z.ReadAtLeast(raw, length, throwOnEndOfStream: false);
            // Reading on makes zlib reach the end of its stream and verify the Adler-32 checksum.
            Span<byte> probe = stackalloc byte[1];
            more = got == length && z.Read(probe) != 0;
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{source}: image data is not a valid zlib stream ({e.Message})", e);
        }
        if (got < length)
            throw new InvalidDataException($"{source}: image data ends after {got} of {length} bytes (truncated or wrong size).");
        if (more)
            throw new InvalidDataException($"{source}: image data holds more than the {length} bytes the image needs.");
        return raw;
    }

    /// <summary>Turns one unfiltered row of stored samples into image samples.</summary>
    private sealed class RowUnpacker(PngHeader h, byte[]? palette, byte[]? transparency, Image image)
    {
        private readonly int _depth = h.BitDepth;
        private readonly int _stored = h.StoredChannels;
        private readonly int _outChannels = image.Channels;
        private readonly ushort[] _samples = image.Samples;
        private readonly int _maxRaw = (1 << h.BitDepth) - 1;
        // A tRNS colour key, compared against the raw stored samples (before any scaling).
        private readonly int[]? _key = transparency is null || h.ColorType == PngColorType.Palette ? null : ColorKey(transparency);

        private static int[] ColorKey(byte[] trns)
        {
            var key = new int[trns.Length / 2];
            for (int i = 0; i < key.Length; i++) key[i] = BinaryPrimitives.ReadUInt16BigEndian(trns.AsSpan(2 * i));
            return key;
        }

        public void Unpack(string source, ReadOnlySpan<byte> row, int columns, int y, int xStart, int xStep)
        {
            Span<int> px = stackalloc int[4];
            int outMax = image.MaxValue;
            for (int i = 0; i < columns; i++)
            {
                for (int c = 0; c < _stored; c++) px[c] = Sample(row, i * _stored + c);
                int o = (y * image.Width + xStart + i * xStep) * _outChannels;
                switch (h.ColorType)
                {
                    case PngColorType.Palette:
                    {
                        int index = px[0];
                        if (index * 3 >= palette!.Length)
                            throw new InvalidDataException($"{source}: pixel ({xStart + i * xStep}, {y}) uses palette index {index}; the palette has {palette.Length / 3} entries.");
                        _samples[o] = palette[3 * index];
                        _samples[o + 1] = palette[3 * index + 1];
                        _samples[o + 2] = palette[3 * index + 2];
                        if (_outChannels == 4) _samples[o + 3] = index < transparency!.Length ? transparency[index] : (ushort)255;
                        break;
                    }
                    case PngColorType.Grey or PngColorType.Rgb:
                    {
                        bool transparent = _key is not null;
                        for (int c = 0; c < _stored; c++)
                        {
                            _samples[o + c] = Scale(px[c]);
                            if (_key is not null && px[c] != _key[c]) transparent = false;
                        }
                        if (_key is not null) _samples[o + _stored] = transparent ? (ushort)0 : (ushort)outMax;
                        break;
                    }
                    default:
                        for (int c = 0; c < _stored; c++) _samples[o + c] = (ushort)px[c];
                        break;
                }
            }
        }

        /// <summary>Low bit depths are widened to 8 bits by multiplying by 255/(2^d − 1), i.e. replicating the bits.</summary>
        private ushort Scale(int value) => _depth < 8 ? (ushort)(value * 255 / _maxRaw) : (ushort)value;

        private int Sample(ReadOnlySpan<byte> row, int index) => _depth switch
        {
            8 => row[index],
            16 => (row[2 * index] << 8) | row[2 * index + 1],
            _ => (row[index * _depth >> 3] >> (8 - _depth - (index * _depth & 7))) & _maxRaw,
        };
    }
}
