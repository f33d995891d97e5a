using Wuerstchen.Models;
using Wuerstchen.Tensors;
using Wuerstchen.Tests.Autograd;
using Wuerstchen.Training.Progress;
using Wuerstchen.Training.Trainers;
using static Wuerstchen.Tests.Training.Trainers.TrainerFixtures;

namespace Wuerstchen.Tests.Training.Trainers;

public class TextEncoderContrastiveObjectiveTests
{
    private static readonly string[] Captions = ["a red circle", "a blue square", "a red circle"];

    [Fact]
    public void RepeatedCaptionsShareTheirRowsTarget()
    {
        using var target = TextEncoderContrastiveObjective.SameCaptionTargets(Captions);
        Assert.Equal([0.5f, 0f, 0.5f, 0f, 1f, 0f, 0.5f, 0f, 0.5f], target.ToArray());
    }

    [Fact]
    public void TheLossIsTheSymmetricCrossEntropyOfCosineSimilaritiesAndItsGradientMatchesFiniteDifferences()
    {
        // B = 3 pairs (two with the same caption), E = 4, τ = 0.5: the float64 reference computes the whole loss.
        const int b = 3, e = 4;
        const float temperature = 0.5f;
        var rng = new System.Random(5);
        using var text = GradCheck.Leaf(rng, [b, e]);
        using var image = GradCheck.Leaf(rng, [b, e]);
        using var target = TextEncoderContrastiveObjective.SameCaptionTargets(Captions);
        var y = target.ToArray();

        double[] Reference(double[][] x)
        {
            double[][] Unit(double[] v) => Enumerable.Range(0, b).Select(r =>
            {
                var row = v.Skip(r * e).Take(e).ToArray();
                double norm = Math.Sqrt(row.Sum(a => a * a) + 1e-12);
                return row.Select(a => a / norm).ToArray();
            }).ToArray();
            var t = Unit(x[0]);
            var i = Unit(x[1]);
            double CrossEntropy(double[][] rows, double[][] columns)
            {
                double total = 0;
                for (int r = 0; r < b; r++)
                {
                    var logits = columns.Select(c => rows[r].Zip(c, (p, q) => p * q).Sum() / temperature).ToArray();
                    double max = logits.Max();
                    double logSum = max + Math.Log(logits.Sum(l => Math.Exp(l - max)));
                    for (int c = 0; c < b; c++) total -= y[r * b + c] * (logits[c] - logSum);
                }
                return total / b;
            }
            return [0.5 * (CrossEntropy(t, i) + CrossEntropy(i, t))];
        }

        GradCheck.Check("contrastive loss", [text, image], inputs =>
        {
            var (loss, logits) = TextEncoderContrastiveObjective.ContrastiveLoss(inputs[0], inputs[1], target, temperature);
            logits.Dispose();
            return loss;
        }, Reference);
    }

    [Fact]
    public void PoolingAveragesOnlyTheCaptionsTokens()
    {
        var rng = new System.Random(7);
        using var hidden = GradCheck.Leaf(rng, [2, 4, 3]);
        int[] mask = [1, 1, 0, 0, 1, 1, 1, 0];
        GradCheck.Check("mean over tokens", [hidden], inputs => TextEncoderContrastiveObjective.MeanOverTokens(inputs[0], mask), x =>
        {
            var pooled = new double[6];
            for (int n = 0; n < 2; n++)
            {
                int count = mask.Skip(n * 4).Take(4).Sum();
                for (int j = 0; j < 4; j++)
                    if (mask[n * 4 + j] == 1)
                        for (int d = 0; d < 3; d++) pooled[n * 3 + d] += x[0][(n * 4 + j) * 3 + d] / count;
            }
            return pooled;
        });
        Assert.Throws<ArgumentException>(() => TextEncoderContrastiveObjective.MeanOverTokens(hidden, [1, 1, 0, 0, 0, 0, 0, 0]));
    }

    [Fact]
    public void TrainingMatchesCaptionsToLatentsAndWritesALoadableTextEncoder()
    {
        using var data = Shapes(16);
        var output = System.IO.Path.Combine(data.Path, "out");
        var reported = new List<TrainingProgress>();
        var initial = Weights(ClipTextModel.FromPretrained(System.IO.Path.Combine(PriorFolder, "text_encoder")));
        using (var objective = Objective())
        {
            new Trainer(objective, Open(System.IO.Path.Combine(data.Path, "data")), new TrainerOptions
            {
                OutputFolder = output, Steps = 80, BatchSize = 8, LearningRate = 1e-2, WarmupSteps = 2, Seed = 3, KeepCheckpoints = 0,
            }) { OnProgress = reported.Add }.Run();
        }
        double first = reported.Take(5).Average(p => p.Loss), last = reported.TakeLast(5).Average(p => p.Loss);
        Assert.True(last < 0.6 * first, $"loss {first:F3} → {last:F3}");
        Assert.All(reported, p => Assert.InRange(p.Terms["match_accuracy"], 0, 1));

        // What --text-encoder reads, and the heads that --init continues from.
        using var text = TextConditioning.FromPipelineFolder(output, train: false);
        Assert.True(Differ(initial, Weights(text.TextEncoder)));
        using var heads = ContrastiveHeads.FromPretrained(System.IO.Path.Combine(output, TextEncoderContrastiveObjective.HeadsFolder));
        Assert.Equal((8, 4, 4), (heads.LatentChannels, heads.LatentHeight, heads.LatentWidth));
    }

    [Fact]
    public void TheLatentCacheIsThePriorsOne()
    {
        using var objective = Objective();
        using var prior = StageC();
        Assert.Equal(prior.CacheEncoder("x").Identity, objective.CacheEncoder("x").Identity);
    }

    /// <summary>The tiny prior's text encoder against the 8 × 4 × 4 test compressor (32² images).</summary>
    private static TextEncoderContrastiveObjective Objective() => new(
        TextConditioning.FromPipelineFolder(PriorFolder, train: true),
        ContrastiveHeads.Create(textDim: 24, latentChannels: 8, latentHeight: 4, latentWidth: 4, hidden: 16, embedDim: 8, seed: 2),
        new StageCLatents(new TestCompressor(8, 8), StageCLatentScale.Released));
}
