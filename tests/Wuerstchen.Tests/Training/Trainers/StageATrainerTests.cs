using Wuerstchen.Data;
using Wuerstchen.Autograd;
using Wuerstchen.Models;
using Wuerstchen.Models.Configs;
using Wuerstchen.Models.Init;
using Wuerstchen.Tensors;
using Wuerstchen.Training.Trainers;
using static Wuerstchen.Tests.Training.Trainers.TrainerFixtures;

namespace Wuerstchen.Tests.Training.Trainers;

public class StageATrainerTests
{
    internal static PaellaVQConfig TinyConfig => PaellaVQConfig.Load(Path.Combine(DecoderFolder, "vqgan"));

    internal static TrainerOptions Options(string output, long steps) => new()
    {
        OutputFolder = output, Steps = steps, BatchSize = 2, LearningRate = 1e-3, Seed = 4, WeightDecay = 0,
    };

    [Fact]
    public void TrainsFromScratchAndWritesALoadableVqganFolder()
    {
        using var data = Shapes(4);
        var output = Path.Combine(data.Path, "out");
        var reported = new List<Wuerstchen.Training.Progress.TrainingProgress>();
        using (var objective = new StageAObjective(VqGanInit.Create(TinyConfig, seed: 9), ReconstructionLoss.L1))
            new Trainer(objective, Open(Path.Combine(data.Path, "data")), Options(output, 2)) { OnProgress = reported.Add }.Run();

        using var vq = PaellaVQModel.FromPretrained(Path.Combine(output, "vqgan"));
        Assert.Equal(TinyConfig, vq.Config);
        Assert.True(Differ(Weights(VqGanInit.Create(TinyConfig, seed: 9)), Weights(vq)));
        var first = reported[0].Terms;
        Assert.Equal(reported[0].Loss, first["loss_recon"] + first["loss_codebook"] + 0.25 * first["loss_commit"], 5);
        // Trained in train mode: the encoder BatchNorm's running statistics moved away from (0, 1).
        Assert.NotEqual(0f, vq.StateDict().Single(kv => kv.Key.EndsWith("running_mean", StringComparison.Ordinal)).Value.ToArray().Select(Math.Abs).Max());
    }

    [Fact]
    public void TheCodebookStartsFromEncoderOutputsOfTheFirstBatch()
    {
        using var data = Shapes(2);
        var output = Path.Combine(data.Path, "out");
        // lr 0 and no weight decay: the update leaves every parameter as initialised, so the codebook is the data init.
        using (var objective = new StageAObjective(VqGanInit.Create(TinyConfig, seed: 9)))
            new Trainer(objective, Open(Path.Combine(data.Path, "data")), Options(output, 1) with { LearningRate = 0 }).Run();

        // The rows come from the training-mode encoder (batch-statistics BatchNorm over the whole first batch, here
        // both images, whose order does not change the statistics).
        var dataset = Open(Path.Combine(data.Path, "data"));
        var vectors = new HashSet<string>();
        AddTrainingModeEncodings(dataset, 0, 1, vectors);
        AssertCodebookRowsAreAmong(output, vectors);
    }

    /// <summary>
    /// Adds the latent vectors (as exact strings) of images i and j encoded as one batch by a fresh seed-9 VQGAN in
    /// training mode, the way the trainer encodes: recording, with parameters that require grad (the differentiable path).
    /// </summary>
    internal static void AddTrainingModeEncodings(ImageCaptionDataset dataset, int i, int j, HashSet<string> vectors)
    {
        using var fresh = VqGanInit.Create(TinyConfig, seed: 9);
        fresh.Training = true;
        using var a = dataset.LoadImage(i, default);
        using var b = dataset.LoadImage(j, default);
        using var batch = Ops.Cat([a.Reshape(1, 3, 32, 32), b.Reshape(1, 3, 32, 32)], 0);
        foreach (var p in fresh.NamedParameters()) p.Value.RequiresGrad = true;
        using var tape = Tape.Record();
        using var latents = fresh.Encode(batch);
        using var last = Ops.ToChannelsLast(latents);
        var v = last.ToArray();
        for (int p = 0; p < v.Length; p += 4) vectors.Add(string.Join(",", v[p..(p + 4)].Select(x => x.ToString("R"))));
    }

    /// <summary>Every codebook row of the trained VQGAN in <paramref name="output"/> is one of <paramref name="vectors"/>.</summary>
    internal static void AssertCodebookRowsAreAmong(string output, HashSet<string> vectors)
    {
        using var trained = PaellaVQModel.FromPretrained(Path.Combine(output, "vqgan"));
        var codebook = trained.Codebook.ToArray();
        for (int row = 0; row < TinyConfig.NumVqEmbeddings; row++)
            Assert.Contains(string.Join(",", codebook[(row * 4)..(row * 4 + 4)].Select(x => x.ToString("R"))), vectors);
    }
}

public class TrainerFinalExportTests
{
    [Fact]
    public void A_run_killed_after_its_last_checkpoint_but_before_the_export_exports_on_resume()
    {
        using var data = Shapes(4);
        var output = Path.Combine(data.Path, "out");
        var options = StageATrainerTests.Options(output, 2) with { CheckpointEvery = 1 };
        using (var objective = new StageAObjective(VqGanInit.Create(StageATrainerTests.TinyConfig, seed: 9), ReconstructionLoss.L1))
            new Trainer(objective, Open(Path.Combine(data.Path, "data")), options).Run();
        Dictionary<string, float[]> exported;
        using (var vq = PaellaVQModel.FromPretrained(Path.Combine(output, "vqgan"))) exported = Weights(vq);

        // The kill: the last checkpoint (step 2) is on disk, the final model is not.
        Directory.Delete(Path.Combine(output, "vqgan"), recursive: true);
        using (var objective = new StageAObjective(VqGanInit.Create(StageATrainerTests.TinyConfig, seed: 9), ReconstructionLoss.L1))
            new Trainer(objective, Open(Path.Combine(data.Path, "data")), options with { Resume = true }).Run();

        using var again = PaellaVQModel.FromPretrained(Path.Combine(output, "vqgan"));
        AssertBitIdentical(exported, Weights(again));
    }
}

public class StageACodebookRestartTests
{
    [Fact]
    public void Dead_codes_are_reseeded_from_the_batch_at_each_restart_step()
    {
        using var data = Shapes(4);
        var output = Path.Combine(data.Path, "out");
        var reported = new List<Wuerstchen.Training.Progress.TrainingProgress>();
        using (var objective = new StageAObjective(VqGanInit.Create(StageATrainerTests.TinyConfig, seed: 9)) { CodebookRestartEvery = 1 })
            new Trainer(objective, Open(Path.Combine(data.Path, "data")),
                StageATrainerTests.Options(output, 2) with { LearningRate = 0, LogEvery = 1 }) { OnProgress = reported.Add }.Run();

        // Step 0 seeds every row; step 1 re-seeds the rows its batch did not choose (the tiny codebook has more rows
        // than a 2-image batch of 32² images picks).
        Assert.Equal(2, reported.Count);
        Assert.Equal(StageATrainerTests.TinyConfig.NumVqEmbeddings, reported[0].Terms["codebook_restarted"]);
        double restarted = reported[1].Terms["codebook_restarted"];
        Assert.InRange(restarted, 1, StageATrainerTests.TinyConfig.NumVqEmbeddings - 1);

        // With lr 0 every row is an encoder output (training mode, batch statistics) of some 2-image batch.
        var dataset = Open(Path.Combine(data.Path, "data"));
        var vectors = new HashSet<string>();
        for (int i = 0; i < 4; i++)
            for (int j = i + 1; j < 4; j++)
                StageATrainerTests.AddTrainingModeEncodings(dataset, i, j, vectors);
        StageATrainerTests.AssertCodebookRowsAreAmong(output, vectors);
    }
}
