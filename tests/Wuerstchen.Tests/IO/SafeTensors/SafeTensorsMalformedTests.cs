using System.Buffers.Binary;
using System.Text;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.IO.SafeTensors;

/// <summary>Hostile and damaged files: each must fail on open with an <see cref="InvalidDataException"/> naming the file (and tensor).</summary>
public class SafeTensorsMalformedTests : IDisposable
{
    private readonly TempFolder _dir = new();
    private int _count;

    public void Dispose() => _dir.Dispose();

    private string WriteFile(ReadOnlySpan<byte> bytes)
    {
        var path = _dir.File($"case{_count++}.safetensors");
        File.WriteAllBytes(path, bytes.ToArray());
        return path;
    }

    private static byte[] Compose(string header, int dataBytes, ulong? declaredLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)json.Length);
        json.CopyTo(bytes, 8);
        for (int i = 0; i < dataBytes; i++) bytes[8 + json.Length + i] = (byte)(i * 7 + 1);
        return bytes;
    }

    private InvalidDataException AssertRejected(byte[] bytes, params string[] mentions)
    {
        var path = WriteFile(bytes);
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Open(path).Dispose());
        Assert.Contains(path, e.Message);
        foreach (var m in mentions) Assert.Contains(m, e.Message);
        return e;
    }

    private const string Ok = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F16","shape":[1,2],"data_offsets":[8,12]}}""";

    [Fact]
    public void WellFormedBaseline_Opens()
    {
        using var f = SafeTensorsFile.Open(WriteFile(Compose(Ok, 12)));
        Assert.Equal(["a", "b"], f.Keys);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(7)]
    public void TooShortForLengthPrefix(int length) => AssertRejected(new byte[length], "too short");

    [Fact]
    public void EveryTruncation_IsRejected()
    {
        var full = Compose(Ok, 12);
        for (int n = 0; n < full.Length; n++) AssertRejected(full[..n]);
    }

    [Theory]
    [InlineData(0UL, "too small")]
    [InlineData(1UL, "too small")]
    [InlineData(200UL, "past the end")]
    [InlineData(100_000_001UL, "limit")]
    [InlineData(ulong.MaxValue, "limit")]
    [InlineData(1UL << 63, "limit")]
    public void HeaderLengthOutOfBounds(ulong declared, string mention) => AssertRejected(Compose(Ok, 12, declared), mention);

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}""", "JSON")]
    [InlineData("""{"a":}""", "JSON")]
    [InlineData("""[1,2]""", "does not start with")]
    [InlineData(""" {"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", "does not start with")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} x""", "JSON")]
    public void InvalidJson(string header, string mention) => AssertRejected(Compose(header, 8), mention);

    [Fact]
    public void InvalidUtf8()
    {
        var bytes = Compose("""{"aé":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 8);
        int at = Array.IndexOf(bytes, (byte)0xC3);
        bytes[at] = 0xFF;
        AssertRejected(bytes, "UTF-8");
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}""", "unknown dtype 'F33'")]
    [InlineData("""{"a":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}}""", "unknown dtype")]
    [InlineData("""{"a":{"dtype":"1","shape":[2],"data_offsets":[0,8]}}""", "unknown dtype")]
    [InlineData("""{"a":{"dtype":7,"shape":[2],"data_offsets":[0,8]}}""", "'dtype'")]
    [InlineData("""{"a":{"shape":[2],"data_offsets":[0,8]}}""", "no 'dtype'")]
    [InlineData("""{"a":{"dtype":"F32","data_offsets":[0,8]}}""", "no 'shape'")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2]}}""", "no 'data_offsets'")]
    [InlineData("""{"a":[1,2]}""", "not an object")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", "non-negative")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}""", "non-negative")]
    [InlineData("""{"a":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}""", "non-negative")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4294967296],"data_offsets":[0,8]}}""", "limit")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,8]}}""", "overflows")]
    [InlineData("""{"a":{"dtype":"F64","shape":[1073741824,1073741824,8],"data_offsets":[0,8]}}""", "overflows")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}}""", "[begin, end]")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,16]}}""", "[begin, end]")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}""", "non-negative")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", "end before begin")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,9223372036854775807]}}""", "past the end")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551615]}}""", "non-negative")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}""", "past the end")]
    [InlineData("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", "spans 8 bytes but F32 [3] needs 12")]
    public void InvalidTensorEntries(string header, string mention) => AssertRejected(Compose(header, 8), "'a'", mention);

    [Fact]
    public void OverlappingTensors() => AssertRejected(Compose(
        """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8),
        "'b'", "overlaps", "'a'");

    [Fact]
    public void AliasedTensors() => AssertRejected(Compose(
        """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 8),
        "overlaps");

    [Fact]
    public void HoleInDataSection() => AssertRejected(Compose(
        """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12),
        "[4, 8)", "'b'", "no tensor");

    [Fact]
    public void TrailingBytesAfterLastTensor() => AssertRejected(Compose(
        """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 12), "cover 8 bytes", "12");

    [Fact]
    public void DuplicateKeys() => AssertRejected(Compose(
        """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8),
        "'a'", "more than once");

    [Theory]
    [InlineData("""{"__metadata__":{"n":1},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", "'n'")]
    [InlineData("""{"__metadata__":{"n":null},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", "'n'")]
    [InlineData("""{"__metadata__":["x"],"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", "__metadata__")]
    [InlineData("""{"__metadata__":{"n":"1","n":"2"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", "more than once")]
    public void InvalidMetadata(string header, string mention) => AssertRejected(Compose(header, 8), mention);

    [Fact]
    public void EmptyTensorsAndPaddedHeader_AreAccepted()
    {
        // Zero-byte tensors may sit anywhere in the tiling; trailing spaces are the format's header padding.
        var header = """{"__metadata__":{},"e":{"dtype":"F32","shape":[0,3],"data_offsets":[4,4]},"a":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}     """;
        using var f = SafeTensorsFile.Open(WriteFile(Compose(header, 4)));
        Assert.Equal(0, f.GetInfo("e").Numel);
        Assert.Equal([BitConverter.ToInt32([1, 8, 15, 22])], f.ReadInt64("a").Select(v => (int)v).ToArray());
        Assert.Empty(f.Metadata);
    }

    [Fact]
    public void ByteFlipsInTheHeader_FailCleanlyOrReadSafely()
    {
        using var t = Tensor.FromArray([1, 2, 3, 4, 5, 6], 2, 3);
        var path = _dir.File("valid.safetensors");
        var writer = new SafeTensorsWriter().Add("weight", t).Add("half", t, SafeTensorsDType.F16).Add("ids", [1, 2], [2]);
        writer.Metadata["k"] = "v";
        writer.Save(path);
        var valid = File.ReadAllBytes(path);
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);
        int opened = 0, rejected = 0;
        for (int i = 0; i < headerEnd; i++)
        {
            foreach (byte flip in new byte[] { 0x01, 0x10, 0x80, 0xFF })
            {
                var bytes = (byte[])valid.Clone();
                bytes[i] ^= flip;
                var p = WriteFile(bytes);
                try
                {
                    using var f = SafeTensorsFile.Open(p);
                    foreach (var key in f.Keys) f.ReadTensor(key).Dispose();
                    opened++;
                }
                catch (InvalidDataException e)
                {
                    Assert.Contains(p, e.Message);
                    rejected++;
                }
                File.Delete(p);
            }
        }
        Assert.True(rejected > opened, $"{rejected} rejected, {opened} opened");
    }
}
