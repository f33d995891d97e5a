using System.Buffers.Binary;

namespace Wuerstchen.Rng;

/// <summary>
/// The complete state of a <see cref="TorchGenerator"/>: the 624 MT19937 words, the position of the next word
/// (0..624; 624 = the words are used up and will be regenerated first), the cached second normal of the serial path,
/// and the seed. Enough to resume a run (e.g. training) draw for draw. <see cref="ToBytes"/>/<see cref="FromBytes"/>
/// give a compact, versioned little-endian encoding for checkpoints (our own layout, not torch's get_state()).
/// </summary>
public sealed record TorchGeneratorState(ulong InitialSeed, uint[] EngineWords, int EngineIndex, double? CachedNormal)
{
    private const uint Magic = 0x4E454754; // "TGEN"
    private const int Version = 1;
    private const int HeaderBytes = 4 + 4 + 8 + 4 + 1 + 8;
    public const int ByteLength = HeaderBytes + 4 * Mt19937.StateSize;

    public byte[] ToBytes()
    {
        if (EngineWords.Length != Mt19937.StateSize)
            throw new InvalidOperationException($"Generator state has {EngineWords.Length} engine words, expected {Mt19937.StateSize}.");
        var bytes = new byte[ByteLength];
        var s = bytes.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(s, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(s[4..], Version);
        BinaryPrimitives.WriteUInt64LittleEndian(s[8..], InitialSeed);
        BinaryPrimitives.WriteInt32LittleEndian(s[16..], EngineIndex);
        s[20] = CachedNormal.HasValue ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteDoubleLittleEndian(s[21..], CachedNormal ?? 0);
        for (int i = 0; i < Mt19937.StateSize; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(s[(HeaderBytes + 4 * i)..], EngineWords[i]);
        return bytes;
    }

    public static TorchGeneratorState FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != ByteLength)
            throw new InvalidDataException($"Generator state must be {ByteLength} bytes, got {bytes.Length}.");
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic)
            throw new InvalidDataException("Not a generator state (bad magic).");
        int version = BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]);
        if (version != Version) throw new InvalidDataException($"Generator state version {version} is not supported (expected {Version}).");
        int index = BinaryPrimitives.ReadInt32LittleEndian(bytes[16..]);
        if ((uint)index > Mt19937.StateSize) throw new InvalidDataException($"Generator state has engine position {index}, outside [0, {Mt19937.StateSize}].");
        if (bytes[20] > 1) throw new InvalidDataException($"Generator state has an invalid cached-normal flag {bytes[20]}.");
        double? cached = bytes[20] == 1 ? BinaryPrimitives.ReadDoubleLittleEndian(bytes[21..]) : null;
        var words = new uint[Mt19937.StateSize];
        for (int i = 0; i < words.Length; i++)
            words[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(HeaderBytes + 4 * i)..]);
        return new TorchGeneratorState(BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]), words, index, cached);
    }
}
