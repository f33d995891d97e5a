using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.IO.SafeTensors;

public class SafeTensorsWriterTests
{
    private static readonly float[] Floats = [0f, -0f, 1.5f, -2.25f, 3.14159265f, 65504f, 1e-8f, -7.7e20f, float.PositiveInfinity, 0.1f, 1000.5f, -1e-3f];

    [Theory]
    [InlineData(SafeTensorsDType.F32)]
    [InlineData(SafeTensorsDType.F16)]
    [InlineData(SafeTensorsDType.BF16)]
    [InlineData(SafeTensorsDType.F64)]
    public void FloatDTypes_RoundTrip_WithTorchRounding(SafeTensorsDType dtype)
    {
        using var dir = new TempFolder();
        using var t = Tensor.FromArray(Floats, 3, 4);
        new SafeTensorsWriter().Add("w", t, dtype).Save(dir.File("a.safetensors"));

        using var f = SafeTensorsFile.Open(dir.File("a.safetensors"));
        var info = f.GetInfo("w");
        Assert.Equal(dtype, info.DType);
        Assert.Equal([3, 4], info.Shape);
        Assert.Equal(12L * dtype.ByteSize(), info.ByteLength);
        using var back = f.ReadTensor("w");
        var raw = f.ReadRaw("w");
        for (int i = 0; i < Floats.Length; i++)
        {
            float x = Floats[i];
            // Expected stored value, computed from the raw bytes' independent decoding.
            float expected = dtype switch
            {
                SafeTensorsDType.F32 => x,
                SafeTensorsDType.F64 => (float)BinaryPrimitives.ReadDoubleLittleEndian(raw.AsSpan(i * 8)),
                SafeTensorsDType.F16 => (float)(Half)x,
                _ => BitConverter.UInt32BitsToSingle((uint)BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(i * 2)) << 16),
            };
            Assert.Equal(expected, back.ToArray()[i]);
            if (dtype == SafeTensorsDType.F16) Assert.Equal(BitConverter.HalfToUInt16Bits((Half)x), BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(i * 2)));
            if (dtype == SafeTensorsDType.F64) Assert.Equal((double)x, BinaryPrimitives.ReadDoubleLittleEndian(raw.AsSpan(i * 8)));
        }
        if (dtype == SafeTensorsDType.BF16)
        {
            // 1.5 and -2.25 are exact in bfloat16; 3.14159265 rounds to 3.140625; 65504 to 65536 (nearest even).
            Assert.Equal([1.5f, -2.25f, 3.140625f, 65536f], back.ToArray()[2..6]);
        }
    }

    [Theory]
    [InlineData(SafeTensorsDType.I64, long.MinValue, long.MaxValue)]
    [InlineData(SafeTensorsDType.I32, int.MinValue, int.MaxValue)]
    [InlineData(SafeTensorsDType.I16, short.MinValue, short.MaxValue)]
    [InlineData(SafeTensorsDType.I8, sbyte.MinValue, sbyte.MaxValue)]
    [InlineData(SafeTensorsDType.U8, 0, 255)]
    [InlineData(SafeTensorsDType.BOOL, 0, 1)]
    public void IntegerDTypes_RoundTrip_AndRejectOutOfRange(SafeTensorsDType dtype, long min, long max)
    {
        using var dir = new TempFolder();
        long[] values = [min, max, 0, max, min, 1];
        new SafeTensorsWriter().Add("ids", values, [2, 3], dtype).Save(dir.File("i.safetensors"));
        using (var f = SafeTensorsFile.Open(dir.File("i.safetensors")))
        {
            Assert.Equal(dtype, f.GetInfo("ids").DType);
            Assert.Equal(values, f.ReadInt64("ids"));
            using var asFloat = f.ReadTensor("ids");
            Assert.Equal(values.Select(v => (float)v).ToArray(), asFloat.ToArray());
            Assert.Throws<NotSupportedException>(() => f.ReadFloat64("ids"));
        }
        if (dtype != SafeTensorsDType.I64)
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => new SafeTensorsWriter().Add("x", [max + 1], [1], dtype));
            Assert.Throws<ArgumentOutOfRangeException>(() => new SafeTensorsWriter().Add("x", [min - 1], [1], dtype));
        }
    }

    [Fact]
    public void Doubles_Metadata_ZeroSizeAndScalarTensors_RoundTrip()
    {
        using var dir = new TempFolder();
        using var empty = Tensor.Empty(0, 5);
        using var scalar = Tensor.Scalar(42.5f);
        var writer = new SafeTensorsWriter()
            .Add("timesteps", [0.1, Math.PI, -1e300], [3])
            .Add("empty", empty)
            .Add("scalar", scalar, SafeTensorsDType.BF16)
            .AddRaw("raw", SafeTensorsDType.I16, [2], [0x01, 0x80, 0xFF, 0x7F]);
        writer.Metadata["prompt"] = "a photo of a red fox in the snow \"quoted\" ünïcödé ✓";
        writer.Metadata["format"] = "pt";
        writer.Save(dir.File("m.safetensors"));

        using var f = SafeTensorsFile.Open(dir.File("m.safetensors"));
        Assert.Equal(writer.Metadata, f.Metadata);
        Assert.Equal([0.1, Math.PI, -1e300], f.ReadFloat64("timesteps"));
        Assert.Equal([0, 5], f.GetInfo("empty").Shape);
        Assert.Equal(0, f.GetInfo("empty").ByteLength);
        using (var e = f.ReadTensor("empty")) Assert.Equal(0, e.Numel);
        Assert.Empty(f.GetInfo("scalar").Shape);
        using (var s = f.ReadTensor("scalar")) Assert.Equal(42.5f, s.Item());
        Assert.Equal([-32767L, 32767L], f.ReadInt64("raw"));
        Assert.Equal(["empty", "raw", "scalar", "timesteps"], f.Keys.Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void Layout_HeaderPaddedTo8_TensorsAlignedAndSortedByElementSize()
    {
        using var dir = new TempFolder();
        using var a = Tensor.Full(1f, 3);
        using var b = Tensor.Full(2f, 5);
        new SafeTensorsWriter()
            .Add("b_half", b, SafeTensorsDType.F16)
            .Add("a_float", a)
            .Add("c_flag", [1, 0, 1], [3], SafeTensorsDType.BOOL)
            .Add("d_ids", [7, 8], [2])
            .Save(dir.File("l.safetensors"));

        var bytes = File.ReadAllBytes(dir.File("l.safetensors"));
        long n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + n) % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.True(header.TrimEnd(' ').EndsWith('}') && header.Length - header.TrimEnd(' ').Length < 8, "header padded with < 8 spaces");
        using var doc = JsonDocument.Parse(header);
        var order = doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["d_ids", "a_float", "b_half", "c_flag"], order);
        using var f = SafeTensorsFile.Open(dir.File("l.safetensors"));
        foreach (var info in f.Tensors) Assert.Equal(0, info.Begin % info.DType.ByteSize());
        Assert.True(f.TryBorrowTensor("a_float", out var borrowed));
        Assert.Equal([1f, 1f, 1f], borrowed.ToArray());
    }

    [Fact]
    public void StridedTensors_AreWrittenInLogicalOrder()
    {
        using var dir = new TempFolder();
        using var t = Tensor.FromArray([1, 2, 3, 4, 5, 6], 2, 3);
        var transposed = t.Transpose(0, 1);
        new SafeTensorsWriter().Add("t", transposed).Save(dir.File("s.safetensors"));
        using var f = SafeTensorsFile.Open(dir.File("s.safetensors"));
        using var back = f.ReadTensor("t");
        Assert.Equal([3, 2], back.Shape.ToArray());
        Assert.Equal([1f, 4, 2, 5, 3, 6], back.ToArray());
    }

    [Fact]
    public void FailedSave_LeavesExistingFileUntouched_AndNoTemporaryFiles()
    {
        using var dir = new TempFolder();
        var path = dir.File("w.safetensors");
        using (var ok = Tensor.Full(3f, 4)) SafeTensorsWriter.Save(path, [new("ok", ok)]);
        var before = File.ReadAllBytes(path);

        var gone = Tensor.Full(1f, 1 << 16);
        var writer = new SafeTensorsWriter().Add("a", gone);
        gone.Dispose(); // its storage is freed: converting it during Save throws half-way through the file
        Assert.Throws<ObjectDisposedException>(() => writer.Save(path));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["w.safetensors"], dir.Entries());
    }

    [Fact]
    public void Writer_RejectsBadArguments()
    {
        using var t = Tensor.Full(1f, 2);
        Assert.Throws<ArgumentException>(() => new SafeTensorsWriter().Add("__metadata__", t));
        Assert.Throws<ArgumentException>(() => new SafeTensorsWriter().Add("x", t).Add("x", t));
        Assert.Throws<ArgumentException>(() => new SafeTensorsWriter().Add("x", t, SafeTensorsDType.I32));
        Assert.Throws<ArgumentException>(() => new SafeTensorsWriter().Add("x", [1L, 2L], [3]));
        Assert.Throws<ArgumentException>(() => new SafeTensorsWriter().Add("x", [1L], [1], SafeTensorsDType.F32));
        Assert.Throws<ArgumentException>(() => new SafeTensorsWriter().AddRaw("x", SafeTensorsDType.F32, [2], new byte[7]));
        Assert.Throws<DirectoryNotFoundException>(() => new SafeTensorsWriter().Add("x", t).Save("/nonexistent-folder-xyz/a.safetensors"));
    }
}
