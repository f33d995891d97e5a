using Wuerstchen.Pipelines;

namespace Wuerstchen.Tests.Pipelines;

public class ImageSizeRulesTests
{
    private static readonly ImageSizeRules Rules = ImageSizeRules.Default;

    [Theory]
    // SPEC §1.2 examples: pixels → Stage C latent → Stage B latent → output side.
    [InlineData(1024, 24, 256, 1024)]
    [InlineData(1536, 36, 384, 1536)]
    [InlineData(512, 12, 128, 512)]
    [InlineData(1152, 27, 288, 1152)]
    [InlineData(1000, 24, 256, 1024)]
    [InlineData(128, 3, 32, 128)]
    [InlineData(256, 6, 64, 256)]
    public void Latent_sizes_follow_the_diffusers_arithmetic(int pixels, int priorSide, int decoderSide, int outputSide)
    {
        Assert.Equal(priorSide, Rules.PriorLatentSide(pixels));
        Assert.Equal(decoderSide, Rules.DecoderLatentSide(priorSide));
        Assert.Equal(outputSide, Rules.OutputSideForImage(pixels));
    }

    [Fact]
    public void Decoder_latent_truncates_like_python_int()
    {
        // 3 · 10.67 = 32.01 and 25 · 10.67 = 266.75: int() truncates, it does not round.
        Assert.Equal(32, Rules.DecoderLatentSide(3));
        Assert.Equal(266, Rules.DecoderLatentSide(25));
    }

    [Theory]
    [InlineData(128)] [InlineData(512)] [InlineData(1024)] [InlineData(1152)] [InlineData(1280)] [InlineData(1536)] [InlineData(2048)]
    public void Sizes_in_128_pixel_steps_are_decodable(int side) => Rules.CheckDecodable(side, side);

    [Fact]
    public void Sizes_between_the_steps_are_rejected_with_suggestions()
    {
        var e = Assert.Throws<ArgumentException>(() => Rules.CheckDecodable(1024, 1100));
        Assert.Equal("width", e.ParamName);
        Assert.Contains("width 1100", e.Message);
        Assert.Contains("128-pixel steps", e.Message);
        Assert.Contains("1024 or 1152", e.Message);
    }

    [Fact]
    public void Suggested_sizes_are_themselves_decodable()
    {
        for (int side = 64; side <= 2200; side += 50)
        {
            int n = Rules.PriorLatentSide(side);
            if (Rules.IsDecodableLatentSide(n)) continue;
            var e = Assert.Throws<ArgumentException>(() => Rules.CheckDecodable(side, 128));
            var nearest = System.Text.RegularExpressions.Regex.Match(e.Message, @"nearest: (\d+)(?: or (\d+))?");
            Assert.True(nearest.Success, e.Message);
            foreach (var g in nearest.Groups.Cast<System.Text.RegularExpressions.Group>().Skip(1).Where(g => g.Success))
                Rules.CheckDecodable(int.Parse(g.Value), 128);
        }
    }

    [Fact]
    public void Image_embeddings_of_undecodable_size_are_rejected()
    {
        Rules.CheckDecodableLatent(3, 6);
        var e = Assert.Throws<ArgumentException>(() => Rules.CheckDecodableLatent(4, 6));
        Assert.Contains("latent height 4", e.Message);
    }

    [Fact]
    public void Non_positive_sizes_are_rejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Rules.PriorLatentSide(0));
}
