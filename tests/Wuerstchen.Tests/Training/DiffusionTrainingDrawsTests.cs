using Wuerstchen.Rng;
using Wuerstchen.Training;

namespace Wuerstchen.Tests.Training;

/// <summary>Seeded, resumable training draws: the authors' time-step warp, the P2 weight, and state restore.</summary>
public class DiffusionTrainingDrawsTests
{
    [Fact]
    public void AuthorsTimestepsWarpTorchRand()
    {
        var draws = new DiffusionTrainingDraws(42);
        var reference = new TorchGenerator(42);
        var t = draws.AuthorsTimesteps(4000);
        var u = reference.Rand(4000).ToArray();
        for (int i = 0; i < t.Length; i++)
            Assert.Equal(Math.Clamp((1f - u[i]) * 1.08f + 0.001f, 0.001f, 1f), t[i]);
        Assert.All(t, v => Assert.InRange(v, 0.001f, 1f));
        double atOne = t.Count(v => v == 1f) / (double)t.Length;
        Assert.InRange(atOne, 0.06, 0.09); // P(u < 0.08/1.08 + …) ≈ 7.5 %
    }

    [Fact]
    public void P2WeightMatchesTheReference()
    {
        using var data = new TrainingVectors();
        foreach (var c in new[] { "prior_step", "decoder_step" })
        {
            using var ac = data.Vectors.ReadTensor($"{c}.alpha_cumprod");
            using var w = data.Vectors.ReadTensor($"{c}.p2_weight");
            var weights = ac.ToArray().Select(DiffusionTrainingDraws.P2Weight).ToArray();
            TensorAssert.Close(w.ToArray(), weights, 1e-7, 1e-5, $"{c} p2 weight");
        }
    }

    [Fact]
    public void RestoringTheStateRepeatsTheDraws()
    {
        var draws = new DiffusionTrainingDraws(7);
        draws.AuthorsTimesteps(3);
        var state = draws.GetState();
        var t1 = draws.UniformTimesteps(5);
        using var n1 = draws.Noise(2, 3);
        bool d1 = draws.DropCaptions();
        draws.SetState(state);
        Assert.Equal(t1, draws.UniformTimesteps(5));
        using var n2 = draws.Noise(2, 3);
        Assert.Equal(n1.ToArray(), n2.ToArray());
        Assert.Equal(d1, draws.DropCaptions());
    }
}
