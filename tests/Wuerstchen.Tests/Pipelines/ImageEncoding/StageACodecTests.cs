using Wuerstchen.Pipelines.ImageEncoding;
using Wuerstchen.Tensors;
using Wuerstchen.Tests.IO;
using Wuerstchen.Tests.Models;

namespace Wuerstchen.Tests.Pipelines.ImageEncoding;

public class StageACodecTests
{
    [Fact]
    public void EncodeAndDecode_MatchTheReferenceVqganDividedAndMultipliedByTheScaleFactor()
    {
        // vectors/README.md: the VQ encode / decode vectors of tiny-wuerstchen/vqgan, 1e-5.
        using var v = new ReferenceVectors("vqgan.safetensors", 1e-5, 1e-5);
        using var codec = StageACodec.FromFolder(ImageEncodingFixtures.TinyDecoderPipeline);   // a pipeline folder: its vqgan
        using var image = v.Read("image");
        using var latents = codec.Encode(image);
        using var reference = v.Read("encode.latents");
        using var expected = Ops.Div(reference, 0.3764f);
        TensorAssert.Close(expected, latents, 1e-5, 1e-5, "Stage B latents");

        using var decoded = codec.Decode(latents);
        using var fromEncode = v.Read("decode.from_encode");
        using var clamped = Ops.Clamp(fromEncode, 0f, 1f);
        TensorAssert.Close(clamped, decoded, 2e-5, 1e-5, "decode");
        Assert.All(decoded.ToArray(), x => Assert.InRange(x, 0f, 1f));
    }

    [Fact]
    public void Encode_RejectsSidesThatAreNotMultiplesOfFour()
    {
        using var codec = StageACodec.FromFolder(ImageEncodingFixtures.TinyVqgan);
        using var image = Tensor.Zeros(1, 3, 30, 32);
        var e = Assert.Throws<ArgumentException>(() => codec.Encode(image));
        Assert.Contains("32×30", e.Message);
        Assert.Contains("multiples of 4", e.Message);
    }

    [Fact]
    public void LatentFile_RoundTripsTheTensorAndItsSpace()
    {
        using var folder = new TempFolder();
        using var latents = Tensor.FromArray(Enumerable.Range(0, 2 * 4 * 3 * 5).Select(i => i * 0.25f).ToArray(), 2, 4, 3, 5);
        LatentFile.Save(folder.File("a.safetensors"), latents, LatentSpace.StageC, new Dictionary<string, string> { ["source_image"] = "x.png" });
        var (loaded, space) = LatentFile.Load(folder.File("a.safetensors"));
        using (loaded)
        {
            Assert.Equal(LatentSpace.StageC, space);
            Assert.Equal(latents.ToArray(), loaded.ToArray());
            Assert.Equal([2, 4, 3, 5], loaded.Shape.ToArray());
        }
        Assert.Throws<FileNotFoundException>(() => LatentFile.Load(folder.File("missing.safetensors")));
    }

    [Fact]
    public void Psnr_IsTenLog10OfOneOverTheMeanSquaredError()
    {
        using var a = Tensor.Full(0.5f, 1, 3, 4, 4);
        using var b = Tensor.Full(0.6f, 1, 3, 4, 4);
        Assert.Equal(20.0, ImageQuality.Psnr(a, b), 3);                      // MSE 0.01
        Assert.Equal(double.PositiveInfinity, ImageQuality.Psnr(a, a));
    }
}
