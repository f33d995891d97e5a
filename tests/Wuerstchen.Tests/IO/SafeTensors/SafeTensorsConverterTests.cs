using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Tensors;
using Wuerstchen.Tests.IO;

namespace Wuerstchen.Tests.IO.SafeTensors;

public sealed class SafeTensorsConverterTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(SafeTensorsDType.F16)]
    [InlineData(SafeTensorsDType.BF16)]
    public void Converts_float_tensors_keeps_integers_and_metadata(SafeTensorsDType dtype)
    {
        string path = _temp.File("w.safetensors");
        using var a = Tensor.FromArray([1.5f, -2.25f, 3.1f, 0.1f], 2, 2);
        var writer = new SafeTensorsWriter();
        writer.Metadata["format"] = "pt";
        writer.Add("z.weight", a);
        writer.Add("a.num_batches_tracked", [7L], []);
        writer.Save(path);

        Assert.Equal(1, SafeTensorsConverter.ConvertInPlace(path, dtype));

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(["a.num_batches_tracked", "z.weight"], file.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.Equal(dtype, file.GetInfo("z.weight").DType);
        Assert.Equal([7L], file.ReadInt64("a.num_batches_tracked"));
        using var back = file.ReadTensor("z.weight");
        // 1.5, -2.25 are exact in both; 3.1 and 0.1 round to the target's precision.
        var values = back.ToArray();
        Assert.Equal(1.5f, values[0]);
        Assert.Equal(-2.25f, values[1]);
        Assert.InRange(Math.Abs(values[2] - 3.1f), 1e-9, dtype == SafeTensorsDType.F16 ? 2e-3 : 2e-2);
        Assert.Equal(0, SafeTensorsConverter.ConvertInPlace(path, dtype));
        Assert.Equal([path], Directory.GetFiles(_temp.Path));
    }
}
