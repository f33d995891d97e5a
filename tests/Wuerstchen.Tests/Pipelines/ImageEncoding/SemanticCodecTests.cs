using Wuerstchen.Data;
using Wuerstchen.Models.EfficientNet;
using Wuerstchen.Pipelines;
using Wuerstchen.Pipelines.ImageEncoding;
using Wuerstchen.Rng;
using Wuerstchen.Tensors;
using Wuerstchen.Tests.IO;

namespace Wuerstchen.Tests.Pipelines.ImageEncoding;

public class SemanticCodecTests
{
    [Fact]
    public void Reconstruct_ConditionsStageBOnTheMapperOutputOfTheThreeQuarterImage()
    {
        using var folder = new TempFolder();
        ImageEncodingFixtures.WriteEffnet(folder.Path);
        using var codec = SemanticCodec.FromFolder(folder.Path);            // a folder with an effnet subfolder
        using var decoder = WuerstchenDecoderPipeline.FromPretrained(ImageEncodingFixtures.TinyDecoderPipeline);
        using var image = ImageEncodingFixtures.Picture(128, 128);

        Tensor? seen = null;
        var callbacks = new PipelineCallbacks { Inspect = (name, t) => { if (name == "effnet") seen = t.Clone(); } };
        using var result = codec.Reconstruct(decoder, image, new SemanticDecodeOptions(Steps: 2), new TorchGenerator(5), callbacks);
        Assert.Equal([1, 3, 128, 128], result.Images!.Shape.ToArray());       // 128 → 96 → 3 × 3 embedding → 32 × 32 Stage B → 128
        Assert.All(result.Images.ToArray(), v => Assert.InRange(v, 0f, 1f));

        // The embedding Stage B saw, recomputed independently: PIL-style 3/4 resize, ImageNet normalisation, forward.
        var small = new float[3 * 96 * 96];
        AntialiasedResize.Resize(image.ToArray(), 3, 128, 128, small, 96, 96);
        using var resized = Tensor.FromArray(small, 1, 3, 96, 96);
        using var normalized = EfficientNetEncoder.Normalize(resized);
        using var expected = codec.Model.Forward(normalized);
        using (seen)
            TensorAssert.Close(expected, seen!, 1e-5, 1e-4, "effnet conditioning");
        Assert.Equal((3, 3), codec.EmbeddingSize(128, 128));

        // Same seed, same image; another seed, another drawing.
        using var again = codec.Reconstruct(decoder, image, new SemanticDecodeOptions(Steps: 2), new TorchGenerator(5));
        Assert.Equal(result.Images.ToArray(), again.Images!.ToArray());
        using var other = codec.Reconstruct(decoder, image, new SemanticDecodeOptions(Steps: 2, NumImages: 2), new TorchGenerator(6));
        Assert.Equal(2, other.Images!.Size(0));
        Assert.NotEqual(other.Images.Narrow(0, 0, 1).ToArray(), other.Images.Narrow(0, 1, 1).ToArray());
    }

    [Fact]
    public void CheckDecodable_NamesTheImageSizeAndTheUsableStep()
    {
        using var ws = Wuerstchen.Models.Weights.WeightSource.Meta();
        using var codec = new SemanticCodec(new EfficientNetEncoder(ImageEncodingFixtures.TinyEffnet, ws));
        codec.CheckDecodable(1024, 1152, ImageSizeRules.Default);
        var e = Assert.Throws<ArgumentException>(() => codec.CheckDecodable(100, 260, ImageSizeRules.Default));
        Assert.Contains("260×100", e.Message);
        Assert.Contains("steps of 128 pixels", e.Message);
        Assert.Equal((24, 24), codec.EmbeddingSize(1024, 1024));
        Assert.Equal((24, 27), codec.EmbeddingSize(1024, 1152));
    }

    [Fact]
    public void DecoderEmbeddingChannels_ReadsTheDecoderConfig() =>
        Assert.Equal(8, SemanticCodec.DecoderEmbeddingChannels(ImageEncodingFixtures.TinyDecoderPipeline));
}
