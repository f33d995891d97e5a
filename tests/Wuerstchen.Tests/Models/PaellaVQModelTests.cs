using Wuerstchen.Models;

namespace Wuerstchen.Tests.Models;

public class PaellaVQModelTests
{
    // vectors/README.md: VQ encode / decode 1e-5 / 1e-5, indices exact.
    private static ReferenceVectors Vectors() => new("vqgan.safetensors", 1e-5, 1e-5);

    [Fact]
    public void EncodeQuantizeDecode_MatchReference()
    {
        using var v = Vectors();
        using var vq = PaellaVQModel.FromPretrained(ModelFolders.TinyVqgan);
        using var image = v.Read("image");

        using var latents = vq.Encode(image);
        v.AssertClose("encode.latents", latents);

        var (zq, indices) = vq.Quantize(latents);
        using (zq)
        {
            Assert.Equal(v.ReadInts("quantize.indices"), indices);
            v.AssertClose("quantize.z_q", zq);
        }

        using var decoded = vq.Decode(latents);
        v.AssertClose("decode.from_encode", decoded);
        using var decodedQuantized = vq.Decode(latents, forceNotQuantize: false);
        v.AssertClose("decode.quantized", decodedQuantized);
        using var latentsIn = v.Read("latents_in");
        using var decodedIn = vq.Decode(latentsIn);
        v.AssertClose("decode.latents_in", decodedIn);
        using var forward = vq.Forward(image);
        v.AssertClose("forward", forward);
    }

    [Fact]
    public void Encode_RejectsImagesNotDivisibleByTheDownscaleFactor()
    {
        using var vq = PaellaVQModel.FromPretrained(ModelFolders.TinyVqgan);
        Assert.Equal(4, vq.DownscaleFactor);
        using var image = Wuerstchen.Tensors.Tensor.Zeros(1, 3, 30, 32);
        Assert.Contains("multiples of 4", Assert.Throws<ArgumentException>(() => vq.Encode(image)).Message);
    }
}
