using Wuerstchen.Autograd;
using Wuerstchen.Schedulers;
using Wuerstchen.Tensors;
using Wuerstchen.Training.Objectives;

namespace Wuerstchen.Tests.Training.Objectives;

/// <summary>
/// The loss expressions on hand-sized inputs: the P2-weighted ε loss against its formula, and where each VQ term's
/// gradient goes (codebook term → used codebook rows only, commitment term → encoder only, straight-through identity).
/// </summary>
public class ObjectivesTests
{
    [Fact]
    public void P2WeightedLossIsTheWeightedMeanOfPerSampleMeans()
    {
        using var pred = Tensor.FromArray([1f, 2f, 3f, 4f, 0f, 0f, 1f, 1f], 2, 2, 2, 1);
        using var eps = Tensor.FromArray([0f, 0f, 0f, 0f, 1f, 1f, 1f, 1f], 2, 2, 2, 1);
        using var loss = DiffusionLoss.P2Weighted(pred, eps, [0.5f, 2f], out var perSample);
        using (perSample)
        {
            Assert.Equal([(1 + 4 + 9 + 16) / 4f, 2 / 4f], perSample.ToArray());
            Assert.Equal((7.5 * 0.5 + 0.5 * 2) / 2, loss.Item(), 1e-6);
        }
        using var mse = DiffusionLoss.Mse(pred, eps);
        Assert.Equal((30 + 2) / 8.0, mse.Item(), 1e-6);
        using var wrong = Tensor.Zeros(2, 2, 2, 2);
        Assert.Contains("differ in shape", Assert.Throws<ArgumentException>(() => DiffusionLoss.Mse(pred, wrong)).Message);
        Assert.Throws<ArgumentException>(() => DiffusionLoss.P2Weighted(pred, eps, [1f]));
    }

    [Fact]
    public void PixelWeightsWeighEachSquaredErrorInsideTheSampleMean()
    {
        // [2, 2, 2, 1]: pixel weights [2, 1, 2, 1] scale both channels of a pixel alike.
        using var pred = Tensor.FromArray([1f, 2f, 3f, 4f, 0f, 0f, 1f, 1f], 2, 2, 2, 1);
        using var eps = Tensor.FromArray([0f, 0f, 0f, 0f, 1f, 1f, 1f, 1f], 2, 2, 2, 1);
        using var pixels = Tensor.FromArray([1.5f, 0.5f, 0f, 2f], 2, 1, 2, 1);
        using var loss = DiffusionLoss.P2Weighted(pred, eps, [0.5f, 2f], out var perSample, pixels);
        using (perSample)
        {
            // sample 0: channel 0 (1, 4), channel 1 (9, 16) at pixel weights (1.5, 0.5); sample 1: (1, 1), (0, 0) at (0, 2)
            float first = (1.5f * 1 + 0.5f * 4 + 1.5f * 9 + 0.5f * 16) / 4, second = (0 * 1 + 2 * 1 + 0 + 0) / 4f;
            Assert.Equal([first, second], perSample.ToArray());
            Assert.Equal((first * 0.5 + second * 2) / 2, loss.Item(), 1e-6);
        }
        using var ones = Tensor.Full(1f, 2, 1, 2, 1);
        using var plain = DiffusionLoss.PerSample(pred, eps);
        using var unit = DiffusionLoss.PerSample(pred, eps, ones);
        Assert.Equal(plain.ToArray(), unit.ToArray());
        using var wrong = Tensor.Full(1f, 2, 2, 2, 1);
        Assert.Contains("[B, 1, H, W]", Assert.Throws<ArgumentException>(() => DiffusionLoss.PerSample(pred, eps, wrong)).Message);
    }

    [Fact]
    public void VWeightingMakesTheEpsLossTheVPredictionLoss()
    {
        var scheduler = new DdpmWuerstchenScheduler();
        float[] t = [0.05f, 0.5f, 0.9f, 1f];
        Assert.Equal(DiffusionLoss.P2Weights(scheduler, t), DiffusionLoss.Weights(DiffusionLossWeighting.P2, scheduler, t));
        var v = DiffusionLoss.Weights(DiffusionLossWeighting.V, scheduler, t);
        for (int i = 0; i < t.Length; i++)
        {
            // v = √ᾱ·ε − √(1−ᾱ)·x0; with x0 implied by ε̂ from the same x_t, v̂ − v = (ε̂ − ε)/√ᾱ, so ‖v̂ − v‖² = ‖ε̂ − ε‖²/ᾱ.
            float abar = scheduler.AlphaCumprod(t[i]), epsError = 0.3f;
            float x0Error = -epsError * MathF.Sqrt((1 - abar) / abar);
            float vError = MathF.Sqrt(abar) * epsError - MathF.Sqrt(1 - abar) * x0Error;
            Assert.Equal(vError * vError, v[i] * epsError * epsError, vError * vError * 1e-5f);
        }
        Assert.Equal(1e4f, v[3], 1f);                      // ᾱ(1) is clamped to 1e-4
        Assert.True(v[0] < 1.01f);
        Assert.Equal([1f, 1f, 1f, 1f], DiffusionLoss.Weights(DiffusionLossWeighting.Uniform, scheduler, t));
    }

    [Fact]
    public void VqTermsRouteTheirGradientsAsTheStopGradientsSay()
    {
        // Two latent pixels (C = 2) and a codebook of three rows; pixel 0 → row 2, pixel 1 → row 0, row 1 unused.
        using var latents = Tensor.FromArray([0.9f, 0.1f, 1.1f, -0.2f], 1, 2, 1, 2); // [B, C, h, w]: pixel 0 = (0.9, 1.1), pixel 1 = (0.1, −0.2)
        using var codebook = Tensor.FromArray([0f, 0f, 5f, 5f, 1f, 1f], 3, 2);
        latents.RequiresGrad = true;
        codebook.RequiresGrad = true;
        using (var tape = Tape.Record())
        {
            using var vq = VectorQuantizerLoss.Compute(latents, codebook, [2, 0], beta: 0.25f);
            Assert.Equal([1f, 0f, 1f, 0f], vq.Quantized.ToArray()); // z_q's values, channel-first
            Assert.Equal(vq.CodebookLoss.Item(), vq.CommitmentLoss.Item());
            // Backward of codebook + 0.25·commit + Σ quantized (the last stands in for a decoder: identity straight through).
            using var sum = Ops.Sum(vq.Quantized, []);
            using var total = Ops.Add(vq.Loss, sum);
            tape.Backward(total);
        }
        // d/dz: 0.25·2(z − z_q)/N + 1 (straight through), N = 4 elements.
        float[] z = [0.9f, 0.1f, 1.1f, -0.2f], zq = [1f, 0f, 1f, 0f];
        TensorAssert.Close(z.Select((v, i) => 0.25f * 2 * (v - zq[i]) / 4 + 1).ToArray(), latents.Grad!.ToArray(), 1e-6, 1e-6, "latents");
        // d/dE: 2(z_q − z)/N on the rows used (row 2 from pixel 0, row 0 from pixel 1); row 1 none.
        float[] expectedE = [2 * (0 - 0.1f) / 4, 2 * (0 + 0.2f) / 4, 0, 0, 2 * (1 - 0.9f) / 4, 2 * (1 - 1.1f) / 4];
        TensorAssert.Close(expectedE, codebook.Grad!.ToArray(), 1e-6, 1e-6, "codebook");
        latents.Grad.Dispose();
        codebook.Grad.Dispose();
    }
}
