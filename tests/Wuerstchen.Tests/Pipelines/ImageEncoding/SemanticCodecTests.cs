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
    /// <summary>A random-weights compressor (saved in a folder with an effnet subfolder), the tiny decoder pipeline, a 128² picture.</summary>
    private sealed class Rig : IDisposable
    {
        private readonly TempFolder _folder = new();

        public Rig()
        {
            ImageEncodingFixtures.WriteEffnet(_folder.Path);
            Codec = SemanticCodec.FromFolder(_folder.Path);
        }

        public SemanticCodec Codec { get; }
        public WuerstchenDecoderPipeline Decoder { get; } = WuerstchenDecoderPipeline.FromPretrained(ImageEncodingFixtures.TinyDecoderPipeline);
        public Tensor Image { get; } = ImageEncodingFixtures.Picture(128, 128);

        public void Dispose()
        {
            Image.Dispose(); Decoder.Dispose(); Codec.Dispose(); _folder.Dispose();
        }
    }

    [Fact]
    public void Reconstruct_ConditionsStageBOnTheMapperOutputOfTheThreeQuarterImage()
    {
        using var rig = new Rig();
        var (codec, decoder, image) = (rig.Codec, rig.Decoder, rig.Image);

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
    public void Reconstruct_BelowStrengthOne_StartsFromTheImagesNoisedStageALatent()
    {
        using var rig = new Rig();
        var (codec, decoder, image) = (rig.Codec, rig.Decoder, rig.Image);
        using var stageA = StageACodec.FromFolder(ImageEncodingFixtures.TinyDecoderPipeline);

        // Two images from one embedding, strength 0.5 over 4 steps: t = 0.5, 0.25, 0; the start is the image's
        // Stage A latent (once per image) noised to t = 0.5 with the generator's first draw.
        var options = new SemanticDecodeOptions(Steps: 4, NumImages: 2, Strength: 0.5f);
        Assert.Equal([0.5f, 0.25f, 0f], options.PartialTimesteps());
        Tensor? start = null;
        var seenTimesteps = new List<float>();
        var callbacks = new PipelineCallbacks
        {
            Inspect = (name, t) =>
            {
                if (name == "initial_latents") start = t.Clone();
                if (name.EndsWith(".t")) seenTimesteps.Add(t.ToArray()[0]);
            },
        };
        using var result = codec.Reconstruct(decoder, image, options, new TorchGenerator(9), callbacks, stageA: stageA);
        Assert.Equal([2, 3, 128, 128], result.Images!.Shape.ToArray());
        Assert.Equal([0.5f, 0.25f], seenTimesteps);

        using var latent = stageA.Encode(image);
        using var twice = Ops.Cat([latent, latent], 0);
        using var noise = new TorchGenerator(9).Randn(twice.Shape);
        using var expected = decoder.CreateScheduler().AddNoise(twice, noise, [0.5f]);
        using (start) TensorAssert.Close(expected, start!, 1e-6, 1e-6, "initial latents");

        // Near t = 0 the result is Stage A's round trip of the image; from pure noise it is not.
        using var roundTrip = stageA.Reconstruct(image);
        using var close = codec.Reconstruct(decoder, image, new SemanticDecodeOptions(Steps: 4, Strength: 0.002f), new TorchGenerator(9), stageA: stageA);
        using var fromNoise = codec.Reconstruct(decoder, image, new SemanticDecodeOptions(Steps: 4), new TorchGenerator(9), stageA: stageA);
        double near = ImageQuality.Psnr(roundTrip, close.Images!), far = ImageQuality.Psnr(roundTrip, fromNoise.Images!);
        Assert.True(near > 35 && near > far + 10, $"PSNR to the round trip: {near:F1} dB at strength 0.002, {far:F1} dB from noise");
    }

    [Fact]
    public void Reconstruct_BelowStrengthOne_NeedsStageAAndAValidStrength()
    {
        using var rig = new Rig();
        var (codec, decoder, image) = (rig.Codec, rig.Decoder, rig.Image);
        var e = Assert.Throws<ArgumentException>(() => codec.Reconstruct(decoder, image, new SemanticDecodeOptions(Strength: 0.5f), new TorchGenerator(1)));
        Assert.Contains("Stage A", e.Message);
        foreach (float bad in new[] { 0f, -0.5f, 1.5f, float.NaN })
            Assert.Contains("Strength", Assert.Throws<ArgumentException>(() => new SemanticDecodeOptions(Strength: bad).Validate()).Message);
        Assert.Equal([1f / 3, 0f], new SemanticDecodeOptions(Steps: 3, Strength: 1f / 3).PartialTimesteps());
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
