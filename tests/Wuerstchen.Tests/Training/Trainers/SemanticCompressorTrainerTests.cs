using System.Text.Json;
using Wuerstchen.Autograd;
using Wuerstchen.Data.Shapes;
using Wuerstchen.Models;
using Wuerstchen.Models.EfficientNet;
using Wuerstchen.Tensors;
using Wuerstchen.Training.Objectives;
using Wuerstchen.Training.Trainers;
using static Wuerstchen.Tests.Training.Trainers.TrainerFixtures;

namespace Wuerstchen.Tests.Training.Trainers;

public class SemanticCompressorTrainerTests
{
    /// <summary>A tiny EfficientNet (c_latent 8) from scratch and a width-8 head, against the tiny reference VQGAN (4 latent channels).</summary>
    private static SemanticCompressorObjective Objective(ulong seed = 3) =>
        new(new EfficientNetCompressor(EfficientNetEncoder.CreateForTraining(EfficientNetConfig.Tiny with { CLatent = 8 }, seed), downscaleForStageC: false),
            LatentReconstructionHead.Create(8, 8, 4, seed + 1),
            PaellaVQModel.FromPretrained(Path.Combine(DecoderFolder, "vqgan")));

    private static double FirstLoss(string output) =>
        JsonDocument.Parse(File.ReadLines(Path.Combine(output, "train_log.jsonl")).First()).RootElement.GetProperty("loss").GetDouble();

    [Fact]
    public void TheLossIsTheMseBetweenTheHeadsReconstructionAndTheStageALatent()
    {
        using var data = Shapes(2, size: 64);
        var dataset = Open(Path.Combine(data.Path, "data"), resolution: 64);
        double expected;
        using (var objective = Objective())
        using (var batch = new Wuerstchen.Data.CaptionBatchLoader(dataset, 2).Epoch(0).First())
        using (Tape.NoGrad())
        {
            // Computed apart from the objective, by the definition: batch-statistics BatchNorm, un-quantised latents / scale_factor.
            using var latents = objective.VqGan.Encode(batch.Images!);
            using var x0 = Ops.Div(latents, objective.VqGan.Config.ScaleFactor);
            using var features = objective.Compressor.Encode(batch.Images!, training: true);
            using var reconstruction = objective.Head.Forward(features, x0.Size(2), x0.Size(3));
            Assert.Equal(x0.Shape.ToArray(), reconstruction.Shape.ToArray());
            var r = reconstruction.ToArray();
            var t = x0.ToArray();
            expected = r.Zip(t, (a, b) => ((double)a - b) * ((double)a - b)).Average();
        }
        var output = Path.Combine(data.Path, "out");
        using (var objective = Objective())
            new Trainer(objective, dataset, new TrainerOptions { OutputFolder = output, Steps = 1, BatchSize = 2, LearningRate = 1e-3, Seed = 1, LogEvery = 1 }).Run();
        Assert.Equal(expected, FirstLoss(output), 5);
    }

    [Fact]
    public void FittingTwoImagesDrivesTheLossDownAndTheFoldersLoad()
    {
        using var data = Shapes(2, size: 64);
        var output = Path.Combine(data.Path, "out");
        Dictionary<string, float[]> initialEffnet, initialHead;
        using (var objective = Objective())
        {
            initialEffnet = Weights(objective.Compressor.Module);
            initialHead = Weights(objective.Head);
            new Trainer(objective, Open(Path.Combine(data.Path, "data"), resolution: 64), new TrainerOptions
            {
                OutputFolder = output, Steps = 60, BatchSize = 2, LearningRate = 3e-3, Seed = 1, LogEvery = 1,
            }).Run();
        }
        var losses = File.ReadLines(Path.Combine(output, "train_log.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("loss").GetDouble()).ToArray();
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        Assert.True(losses[^5..].Average() < 0.5 * losses[..5].Average(), $"first {losses[0]}, last {losses[^1]}");

        using var effnet = EfficientNetEncoder.FromPretrained(Path.Combine(output, "effnet"));
        Assert.True(Differ(initialEffnet, Weights(effnet)));
        using var head = LatentReconstructionHead.FromPretrained(Path.Combine(output, SemanticCompressorObjective.HeadFolder));
        Assert.True(Differ(initialHead, Weights(head)));
        Assert.Equal((8, 8, 4), (head.InChannels, head.Width, head.OutChannels));
    }

    [Fact]
    public void CrossEntropyIsTheMeanNegativeLogProbabilityOfEachCellsLabel()
    {
        // Two samples of 1×2 cells, three classes.
        float[] logits = [1f, 2f, /* class 1 */ 0f, -1f, /* class 2 */ 3f, 5f,        // sample 0
                          0.2f, 0f, 0.1f, 0f, -0.3f, 4f];                             // sample 1
        int[] labels = [0, 2, 1, 0];
        using var x = Tensor.FromArray(logits, 2, 3, 1, 2);
        using var loss = CellClassifierHead.CrossEntropy(x, labels);
        double expected = 0;
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 2; c++)
            {
                var z = Enumerable.Range(0, 3).Select(k => (double)logits[(n * 3 + k) * 2 + c]).ToArray();
                double logSum = Math.Log(z.Sum(Math.Exp));
                expected += logSum - z[labels[n * 2 + c]];
            }
        Assert.Equal(expected / 4, loss.Item(), 5);
        // Object cells (label ≠ 0): sample 0 cell 1 (label 2: logits 2, −1, 5 → right), sample 1 cell 0 (label 1: 0.2, 0.1, −0.3 → wrong).
        Assert.Equal(0.5, CellClassifierHead.ObjectAccuracy(x, labels));
    }

    [Fact]
    public void LabelSupervisionTrainsTheProbesAndWritesThem()
    {
        using var data = Shapes(2, size: 64);
        var folder = Path.Combine(data.Path, "data");
        var output = Path.Combine(data.Path, "out");
        var scenes = ShapeLabelSupervision.ReadScenes(folder);
        var labels = new ShapeLabelSupervision(CellClassifierHead.Create(8, ShapeCellLabels.ShapeClasses, ShapeCellLabels.ColorClasses, 9), scenes, 1f);
        var objective = new SemanticCompressorObjective(
            new EfficientNetCompressor(EfficientNetEncoder.CreateForTraining(EfficientNetConfig.Tiny with { CLatent = 8 }, 3), downscaleForStageC: false),
            LatentReconstructionHead.Create(8, 8, 4, 4), PaellaVQModel.FromPretrained(Path.Combine(DecoderFolder, "vqgan")), labels);
        using (objective)
            new Trainer(objective, Open(folder, resolution: 64), new TrainerOptions
            {
                OutputFolder = output, Steps = 40, BatchSize = 2, LearningRate = 3e-3, Seed = 1, LogEvery = 1,
            }).Run();
        var lines = File.ReadLines(Path.Combine(output, "train_log.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        double Term(JsonElement e, string name) => e.GetProperty(name).GetDouble();
        double first = Term(lines[0], "loss_shape") + Term(lines[0], "loss_color");
        double last = Term(lines[^1], "loss_shape") + Term(lines[^1], "loss_color");
        Assert.True(last < 0.5 * first, $"label loss {first} → {last}");
        // The total is the reconstruction plus the weighted label terms.
        Assert.Equal(lines[0].GetProperty("loss").GetDouble(), Term(lines[0], "loss_recon") + first, 4);
        using var probes = CellClassifierHead.FromPretrained(Path.Combine(output, SemanticCompressorObjective.LabelsFolder));
        Assert.Equal((8, 7, 11), (probes.InChannels, probes.ShapeClasses, probes.ColorClasses));
    }

    [Fact]
    public void TheHeadRefusesFeaturesOfTheWrongWidth()
    {
        using var head = LatentReconstructionHead.Create(8, 8, 4, 1);
        using var features = Tensor.Zeros([1, 16, 2, 2]);
        var e = Assert.Throws<ArgumentException>(() => head.Forward(features, 16, 16));
        Assert.Contains("[B, 8, h, w]", e.Message);
    }
}
