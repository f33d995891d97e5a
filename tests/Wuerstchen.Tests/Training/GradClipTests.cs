using Wuerstchen.Tensors;
using Wuerstchen.Training;

namespace Wuerstchen.Tests.Training;

/// <summary>clip_grad_norm_(max_norm = 1) against training.safetensors "clip" (prior gradients, inactive) and "clip_decoder" (active), rtol 1e-5.</summary>
public class GradClipTests
{
    [Fact]
    public void PriorGradientsAreBelowTheLimitAndStayUntouched()
    {
        using var data = new TrainingVectors();
        var holders = data.GradientHolders("prior_step");
        Assert.Equal(48, holders.Length);
        var before = holders.Select(h => h.Grad!.ToArray()).ToArray();
        double total = GradClip.ClipGradNorm(holders, 1.0);
        Assert.Equal(data.Scalar("clip.total_norm"), total, 1e-5 * total);
        Assert.Equal(data.Scalar("clip.clip_coef"), 1.0 / (total + 1e-6), 1e-5 / total);
        Assert.Equal(1f, data.Scalar("clip.clip_coef_clamped"));
        for (int i = 0; i < holders.Length; i++) Assert.Equal(before[i], holders[i].Grad!.ToArray());
        foreach (var h in holders) { h.Grad!.Dispose(); h.Dispose(); }
    }

    [Fact]
    public void DecoderGradientsAreScaledTogether()
    {
        using var data = new TrainingVectors();
        var holders = data.GradientHolders("decoder_step");
        Assert.Equal(230, holders.Length);
        var before = holders.Select(h => h.Grad!.ToArray()).ToArray();
        double total = GradClip.ClipGradNorm(holders, 1.0);
        double expectedTotal = data.Scalar("clip_decoder.total_norm");
        Assert.True(expectedTotal > 1);
        Assert.Equal(expectedTotal, total, 1e-5 * expectedTotal);
        float coef = data.Scalar("clip_decoder.clip_coef_clamped");
        Assert.Equal(coef, 1.0 / (total + 1e-6), 1e-5 * coef);
        for (int i = 0; i < holders.Length; i++)
        {
            var expected = before[i].Select(v => v * coef).ToArray();
            TensorAssert.Close(expected, holders[i].Grad!.ToArray(), 1e-6 * TrainingVectors.MaxAbs(expected), 1e-5, $"clipped gradient {i}");
        }
        Assert.Equal(1.0, GradClip.TotalNorm(holders), 1e-5);
        foreach (var h in holders) { h.Grad!.Dispose(); h.Dispose(); }
    }

    [Fact]
    public void NonFiniteNormIsReportedAndOptionallyRaises()
    {
        using var p = Tensor.Zeros(2);
        p.Grad = Tensor.FromArray([float.NaN, 1f], 2);
        Assert.True(double.IsNaN(GradClip.ClipGradNorm([p], 1.0)));
        Assert.Throws<InvalidOperationException>(() => GradClip.ClipGradNorm([p], 1.0, errorIfNonfinite: true));
    }
}
