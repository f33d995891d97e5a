using Wuerstchen.Models;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Models;

public class StageCLatentScaleTests
{
    [Fact]
    public void LatentIsEmbeddingPlusStdOverMean_AndBackInDiffusersOrder()
    {
        var scale = new StageCLatentScale(4.0, 0.5);
        using var embeddings = Tensor.FromArray([-0.5f, 1.5f, 3.5f], 1, 3, 1, 1);
        using var latent = scale.ToLatent(embeddings);
        Assert.Equal([0f, 0.5f, 1f], latent.ToArray());
        using var back = scale.ToEmbeddings(latent);
        Assert.Equal(embeddings.ToArray(), back.ToArray());

        using var identity = StageCLatentScale.Identity.ToLatent(embeddings);
        Assert.Equal(embeddings.ToArray(), identity.ToArray());
        Assert.Equal(new StageCLatentScale(42, 1), StageCLatentScale.Released);
        Assert.Equal("latent_mean 42, latent_std 1", StageCLatentScale.Released.ToString());
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(double.NaN, 1.0)]
    [InlineData(1.0, double.PositiveInfinity)]
    public void ValidatedRejectsAScaleThatCannotBeInverted(double mean, double std)
    {
        var e = Assert.Throws<ArgumentException>(() => new StageCLatentScale(mean, std).Validated("prior/model_index.json"));
        Assert.Contains("prior/model_index.json", e.Message);
        Assert.Contains("latent_mean", e.Message);
    }
}
