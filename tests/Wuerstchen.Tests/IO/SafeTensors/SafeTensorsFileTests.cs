using System.Runtime.CompilerServices;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.IO.SafeTensors;

public unsafe class SafeTensorsFileTests
{
    [Fact]
    public void ReadsReferenceVectors()
    {
        using var f = SafeTensorsFile.Open(Reference.Vectors("prior.safetensors"));
        using var x = f.ReadTensor("x");
        Assert.Equal(new[] { 3, 8, 3, 6 }, x.Shape.ToArray());
        Assert.Contains("output", f.Keys);
    }

    public static TheoryData<string> ReferenceFiles()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.EnumerateFiles(Reference.Root, "*.safetensors", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            data.Add(Path.GetRelativePath(Reference.Root, path));
        return data;
    }

    [Theory]
    [MemberData(nameof(ReferenceFiles))]
    public void ReadsEveryTensorOfEveryReferenceFile(string relativePath)
    {
        using var f = SafeTensorsFile.Open(Path.Combine(Reference.Root, relativePath));
        Assert.NotEmpty(f.Keys);
        foreach (var key in f.Keys)
        {
            var info = f.GetInfo(key);
            long numel = info.Shape.Aggregate(1L, (a, b) => a * b);
            Assert.Equal(numel, info.Numel);
            Assert.Equal(numel * info.DType.ByteSize(), info.ByteLength);
            using var t = f.ReadTensor(key);
            Assert.Equal(info.Shape, t.Shape.ToArray());
            var values = t.AsSpan();
            // The float32 conversion agrees with the exact integer / double readers.
            var exact = info.DType.IsInteger()
                ? Array.ConvertAll(f.ReadInt64(key), v => (float)v)
                : Array.ConvertAll(f.ReadFloat64(key), v => (float)v);
            Assert.True(values.SequenceEqual(exact), $"{key}: ReadTensor disagrees with the exact reader");
            using var loaded = f.LoadTensor(key);
            Assert.True(values.SequenceEqual(loaded.AsSpan()), $"{key}: LoadTensor disagrees with ReadTensor");
        }
    }

    [Fact]
    public void ReferenceSet_HoldsManyFiles()
    {
        // Guards the theory above against silently finding nothing (e.g. a moved reference folder).
        Assert.True(ReferenceFiles().Count >= 20, $"only {ReferenceFiles().Count} safetensors files under {Reference.Root}");
    }

    [Theory]
    [InlineData("fp16", SafeTensorsDType.F16)]
    [InlineData("bf16", SafeTensorsDType.BF16)]
    public void PriorVariants_AreTheF32WeightsRoundedToNearestEven(string variant, SafeTensorsDType dtype)
    {
        var folder = Reference.Path_("tiny-wuerstchen-prior", "prior");
        using var full = SafeTensorsFile.Open(Path.Combine(folder, "diffusion_pytorch_model.safetensors"));
        using var half = SafeTensorsFile.Open(Path.Combine(folder, $"diffusion_pytorch_model.{variant}.safetensors"));
        Assert.Equal(full.Keys.Order(StringComparer.Ordinal), half.Keys.Order(StringComparer.Ordinal));
        double relTolerance = dtype == SafeTensorsDType.F16 ? Math.Pow(2, -11) : Math.Pow(2, -8);
        foreach (var key in full.Keys)
        {
            Assert.Equal(SafeTensorsDType.F32, full.GetInfo(key).DType);
            Assert.Equal(dtype, half.GetInfo(key).DType);
            Assert.Equal(full.GetInfo(key).Shape, half.GetInfo(key).Shape);
            using var a = full.ReadTensor(key);
            using var b = half.ReadTensor(key);
            var fa = a.ToArray();
            var fb = b.ToArray();
            var raw = half.ReadRaw(key);
            for (int i = 0; i < fa.Length; i++)
            {
                // Within half an ulp of the target precision (subnormal fp16 adds 2^-25 absolute)...
                if (Math.Abs(fa[i] - fb[i]) > relTolerance * Math.Abs(fa[i]) + Math.Pow(2, -25))
                    Assert.Fail($"{key}[{i}]: {fa[i]} vs {fb[i]}");
                // ...and bit for bit what torch's .half() / .bfloat16() produce, i.e. what our writer produces.
                ushort stored = BitConverter.ToUInt16(raw, 2 * i);
                ushort ours = dtype == SafeTensorsDType.F16 ? BitConverter.HalfToUInt16Bits((Half)fa[i]) : DTypeConversion.Float32ToBFloat16(fa[i]);
                if (stored != ours) Assert.Fail($"{key}[{i}]: stored {stored:X4}, ours {ours:X4} for {fa[i]:R}");
            }
        }
    }

    [Fact]
    public void F32Tensors_AreBorrowedZeroCopy_OtherDTypesConverted()
    {
        var folder = Reference.Path_("tiny-wuerstchen-prior", "prior");
        using var f32 = SafeTensorsFile.Open(Path.Combine(folder, "diffusion_pytorch_model.safetensors"));
        using var f16 = SafeTensorsFile.Open(Path.Combine(folder, "diffusion_pytorch_model.fp16.safetensors"));
        var key = f32.Keys.First(k => f32.GetInfo(k).Numel > 4);

        Assert.True(f32.TryBorrowTensor(key, out var borrowed));
        using var copy = f32.ReadTensor(key);
        Assert.Equal(copy.ToArray(), borrowed.ToArray());
        Assert.NotEqual((nint)copy.Storage.Pointer, (nint)borrowed.Storage.Pointer);
        using var again = f32.LoadTensor(key);
        Assert.Equal((nint)borrowed.Data, (nint)again.Data);

        Assert.False(f16.TryBorrowTensor(key, out var none));
        Assert.Null(none);
        using var converted = f16.LoadTensor(key);
        TensorAssert.Close(copy, converted, 1e-6, 1e-3, key);
    }

    [Fact]
    public void BorrowedTensor_OutlivesDisposedFile_AndWritesNeverReachTheFile()
    {
        using var dir = new TempFolder();
        var path = dir.File("b.safetensors");
        using (var t = Tensor.FromArray([1, 2, 3, 4], 4)) SafeTensorsWriter.Save(path, [new("w", t)]);
        var bytes = File.ReadAllBytes(path);

        Tensor borrowed;
        using (var f = SafeTensorsFile.Open(path)) Assert.True(f.TryBorrowTensor("w", out borrowed!));
        Assert.Equal([1f, 2, 3, 4], borrowed.ToArray());
        borrowed[0] = 100f; // copy-on-write: private to this process
        borrowed.Dispose(); // a no-op for borrowed data
        Assert.Equal(100f, borrowed[0]);
        GC.KeepAlive(borrowed);

        Assert.Equal(bytes, File.ReadAllBytes(path));
        using var reopened = SafeTensorsFile.Open(path);
        Assert.Equal([1f, 2, 3, 4], reopened.ReadTensor("w").ToArray());
    }

    [Fact]
    public void DisposedFile_RefusesReads()
    {
        var f = SafeTensorsFile.Open(Reference.Vectors("scheduler.safetensors"));
        var key = f.Keys.First();
        f.Dispose();
        f.Dispose();
        Assert.Throws<ObjectDisposedException>(() => f.ReadTensor(key));
        Assert.Throws<ObjectDisposedException>(() => f.ReadRaw(key));
        Assert.Throws<ObjectDisposedException>(() => f.TryBorrowTensor(key, out _));
        Assert.Throws<KeyNotFoundException>(() => f.GetInfo("no such tensor"));
    }

    [Fact]
    public void Mapping_IsReleasedOnDispose_OrWhenTheLastBorrowedTensorIsCollected()
    {
        if (!File.Exists("/proc/self/maps")) return; // the observation needs Linux; the behaviour is tested elsewhere
        using var dir = new TempFolder();
        var path = dir.File("lifetime.safetensors");
        using (var t = Tensor.FromArray([5, 6], 2)) SafeTensorsWriter.Save(path, [new("w", t)]);

        var f = SafeTensorsFile.Open(path);
        Assert.True(IsMapped(path));
        f.Dispose();
        Assert.False(IsMapped(path));

        // The borrowed tensor is held through an array until the mapping has been observed: a collection started by
        // a test running in parallel must not free it before then.
        var holder = BorrowThenDispose(path);
        Assert.True(IsMapped(path));
        var weak = WeakOf(holder);
        holder[0] = null;
        for (int i = 0; i < 3 && IsMapped(path); i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(weak.TryGetTarget(out _));
        Assert.False(IsMapped(path));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor?[] BorrowThenDispose(string path)
    {
        using var f = SafeTensorsFile.Open(path);
        Assert.True(f.TryBorrowTensor("w", out var t));
        Assert.Equal([5f, 6], t.ToArray());
        return [t];
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference<Tensor> WeakOf(Tensor?[] holder) => new(holder[0]!);

    private static bool IsMapped(string path) => File.ReadAllLines("/proc/self/maps").Any(l => l.EndsWith(path, StringComparison.Ordinal));
}
