using Wuerstchen.IO.SafeTensors;

namespace Wuerstchen.Tests.IO;

public class SafeTensorsFileTests
{
    [Fact]
    public void ReadsReferenceVectors()
    {
        using var f = SafeTensorsFile.Open(Reference.Vectors("prior.safetensors"));
        using var x = f.ReadTensor("x");
        Assert.Equal(new[] { 3, 8, 3, 6 }, x.Shape.ToArray());
        Assert.Contains("output", f.Keys);
    }
}
