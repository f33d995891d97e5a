using System.Diagnostics;
using Wuerstchen.Cli;
using Wuerstchen.Models;
using Wuerstchen.Models.EfficientNet;
using Wuerstchen.Pipelines;
using Wuerstchen.Tests.IO;
using Wuerstchen.Training.Checkpoints;
using Wuerstchen.Training.Trainers;
using static Wuerstchen.Tests.Training.Trainers.TrainerFixtures;

namespace Wuerstchen.Tests.Cli;

public class TrainCommandTests
{
    private static string TinyVqGanConfig => Path.Combine(DecoderFolder, "vqgan", "config.json");

    /// <summary>Runs <c>train stage</c> in-process; --steps 2 and --batch 2 unless <paramref name="extra"/> sets them.</summary>
    internal static CliRunner.Result Train(string stage, string data, string output, params string[] extra)
    {
        var args = new List<string> { "train", stage, "--data", data, "--output", output, "--log-every", "1", "--lr", "1e-3" };
        if (!extra.Contains("--steps")) args.AddRange(["--steps", "2"]);
        if (!extra.Contains("--batch")) args.AddRange(["--batch", "2"]);
        return CliRunner.Run([.. args, .. extra]);
    }

    [Fact]
    public void StageATrainsTwoStepsAndTheFolderLoads()
    {
        using var temp = Shapes(4);
        var output = Path.Combine(temp.Path, "out");
        var result = Train("stage-a", Path.Combine(temp.Path, "data"), output, "--resolution", "32", "--config", TinyVqGanConfig, "--reconstruction", "l1");
        Assert.True(result.ExitCode == CliApp.ExitSuccess, result.Error);
        Assert.Contains("step 2/2", result.Error);
        Assert.Contains("loss", result.Error);
        using var vq = PaellaVQModel.FromPretrained(Path.Combine(output, "vqgan"));
        Assert.Equal(64, vq.Config.NumVqEmbeddings);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(output, "train_log.jsonl")).Length);
    }

    [Fact]
    public void StageBTrainsTwoStepsAndThePipelineFolderLoads()
    {
        using var temp = Shapes(4, size: 64);
        var output = Path.Combine(temp.Path, "out");
        var result = Train("stage-b", Path.Combine(temp.Path, "data"), output, "--resolution", "64", "--init", DecoderFolder, "--ema", "diffusers", "--export-dtype", "f16");
        Assert.True(result.ExitCode == CliApp.ExitSuccess, result.Error);
        var folder = ModelFolder.Open(output, "WuerstchenDecoderPipeline");
        using var decoder = WuerstchenDiffNeXt.FromPretrained(folder.ComponentPath("decoder"), "fp16");
        using var effnet = EfficientNetEncoder.FromPretrained(Path.Combine(output, "effnet"));
        Assert.Equal(8, effnet.Config.CLatent);
    }

    [Fact]
    public void EffnetTrainsTwoStepsFromScratchAndStageBTrainsAgainstItFrozen()
    {
        using var temp = Shapes(4, size: 64);
        var data = Path.Combine(temp.Path, "data");
        var effnetOut = Path.Combine(temp.Path, "effnet-out");
        var config = Path.Combine(temp.Path, "effnet-config.json");
        (EfficientNetConfig.Tiny with { CLatent = 8 }).Save(config);
        var result = Train("effnet", data, effnetOut, "--resolution", "64", "--stage-a", DecoderFolder, "--effnet-config", config, "--head-width", "8");
        Assert.True(result.ExitCode == CliApp.ExitSuccess, result.Error);
        Assert.Contains("step 2/2", result.Error);
        using (var effnet = EfficientNetEncoder.FromPretrained(Path.Combine(effnetOut, "effnet")))
            Assert.Equal(8, effnet.Config.CLatent);
        using (var head = LatentReconstructionHead.FromPretrained(Path.Combine(effnetOut, "effnet_head")))
            Assert.Equal(8, head.Width);

        // The next stage reads it as its frozen compressor (the tiny decoder's effnet_embd is 8).
        var decoderOut = Path.Combine(temp.Path, "decoder-out");
        result = Train("stage-b", data, decoderOut, "--resolution", "64", "--init", DecoderFolder, "--effnet", effnetOut, "--freeze-effnet");
        Assert.True(result.ExitCode == CliApp.ExitSuccess, result.Error);
        // Frozen, so Stage A's latents and the features can be cached: the same weights, and the cache is reused.
        var cache = Path.Combine(temp.Path, "stage-b-cache");
        string[] cachedArgs = ["--resolution", "64", "--init", DecoderFolder, "--effnet", effnetOut, "--freeze-effnet", "--latent-cache", cache];
        result = Train("stage-b", data, Path.Combine(temp.Path, "cached"), cachedArgs);
        Assert.True(result.ExitCode == CliApp.ExitSuccess, result.Error);
        Assert.Contains("1 shard(s) encoded", result.Error);
        using (var plain = WuerstchenDiffNeXt.FromPretrained(Path.Combine(decoderOut, "decoder")))
        using (var fromCache = WuerstchenDiffNeXt.FromPretrained(Path.Combine(temp.Path, "cached", "decoder")))
            AssertBitIdentical(Weights(plain), Weights(fromCache));
        result = Train("stage-b", data, Path.Combine(temp.Path, "cached2"), cachedArgs);
        Assert.Contains("0 shard(s) encoded", result.Error);
        result = Train("stage-b", data, Path.Combine(temp.Path, "joint"), "--resolution", "64", "--init", DecoderFolder, "--effnet", effnetOut, "--latent-cache", cache);
        Assert.NotEqual(CliApp.ExitSuccess, result.ExitCode);
        Assert.Contains("--freeze-effnet", result.Error);

        // With the dataset's labels as a second target.
        var labelled = Path.Combine(temp.Path, "labelled");
        result = Train("effnet", data, labelled, "--resolution", "64", "--stage-a", DecoderFolder, "--effnet-config", config, "--head-width", "8", "--label-weight", "0.5");
        Assert.True(result.ExitCode == CliApp.ExitSuccess, result.Error);
        Assert.True(File.Exists(Path.Combine(labelled, "effnet_labels", "config.json")));
        Assert.Contains("shape_acc", File.ReadAllLines(Path.Combine(labelled, "train_log.jsonl"))[0]);

        // A folder that is no shapes dataset has no labels to learn.
        File.Delete(Path.Combine(data, "metadata.jsonl"));
        result = Train("effnet", data, Path.Combine(temp.Path, "y"), "--resolution", "64", "--stage-a", DecoderFolder, "--effnet-config", config, "--label-weight", "1");
        Assert.NotEqual(CliApp.ExitSuccess, result.ExitCode);
        Assert.Contains("--label-weight", result.Error);

        // Without --stage-a the command names what is missing.
        result = Train("effnet", data, Path.Combine(temp.Path, "x"), "--resolution", "64");
        Assert.NotEqual(CliApp.ExitSuccess, result.ExitCode);
        Assert.Contains("--stage-a", result.Error);
    }

    [Fact]
    public void StageCTrainsTwoStepsFromScratchAndThePipelineFolderLoads()
    {
        using var temp = Shapes(4, size: 64);
        var effnetFolder = Path.Combine(temp.Path, "effnet");
        using (var effnet = EfficientNetEncoder.CreateForTraining(EfficientNetConfig.Tiny with { CLatent = 8 }, seed: 1)) effnet.Save(effnetFolder);
        var output = Path.Combine(temp.Path, "out");
        var result = Train("stage-c", Path.Combine(temp.Path, "data"), output, "--resolution", "64", "--text-encoder", PriorFolder,
            "--effnet", effnetFolder, "--width", "32", "--depth", "1", "--heads", "4", "--ema", "authors", "--ema-every", "1");
        Assert.True(result.ExitCode == CliApp.ExitSuccess, result.Error);
        var folder = ModelFolder.Open(output, "WuerstchenPriorPipeline");
        using var prior = WuerstchenPrior.FromPretrained(folder.ComponentPath("prior"));
        Assert.Equal(new Wuerstchen.Models.Configs.WuerstchenPriorConfig(8, 32, 24, 64, 1, 4), prior.Config);

        Assert.Equal(new StageCLatentScale(42, 1), PriorConstants.From(folder).LatentScale);   // released by default

        // A compressor trained from scratch: the latents are its unit-variance output, and a fine-tune keeps that.
        var unit = Path.Combine(temp.Path, "unit");
        result = Train("stage-c", Path.Combine(temp.Path, "data"), unit, "--resolution", "64", "--text-encoder", PriorFolder,
            "--effnet", effnetFolder, "--width", "32", "--depth", "1", "--heads", "4", "--latent-mean", "1", "--latent-std", "0");
        Assert.True(result.ExitCode == CliApp.ExitSuccess, result.Error);
        Assert.Equal(StageCLatentScale.Identity, PriorConstants.From(ModelFolder.Open(unit)).LatentScale);
        var tuned = Path.Combine(temp.Path, "tuned");
        result = Train("stage-c", Path.Combine(temp.Path, "data"), tuned, "--resolution", "64", "--init", unit, "--effnet", effnetFolder);
        Assert.True(result.ExitCode == CliApp.ExitSuccess, result.Error);
        Assert.Equal(StageCLatentScale.Identity, PriorConstants.From(ModelFolder.Open(tuned)).LatentScale);
        result = Train("stage-c", Path.Combine(temp.Path, "data"), Path.Combine(temp.Path, "bad"), "--resolution", "64", "--init", unit,
            "--effnet", effnetFolder, "--latent-mean", "0");
        Assert.NotEqual(CliApp.ExitSuccess, result.ExitCode);
        Assert.Contains("--latent-mean", result.Error);

        // Again on cached latents: encoded once, reused by the next run.
        var cache = Path.Combine(temp.Path, "cache");
        string[] cached = ["--resolution", "64", "--text-encoder", PriorFolder, "--effnet", effnetFolder, "--width", "32", "--depth", "1", "--heads", "4", "--latent-cache", cache];
        var first = Train("stage-c", Path.Combine(temp.Path, "data"), Path.Combine(temp.Path, "c1"), cached);
        Assert.True(first.ExitCode == CliApp.ExitSuccess, first.Error);
        Assert.Contains("1 shard(s) encoded", first.Error);
        var second = Train("stage-c", Path.Combine(temp.Path, "data"), Path.Combine(temp.Path, "c2"), cached);
        Assert.Contains("0 shard(s) encoded", second.Error);
    }

    [Fact]
    public void TextEncoderPreTrainsTwoStepsAndStageCTrainsOnIt()
    {
        using var temp = Shapes(4, size: 64);
        var data = Path.Combine(temp.Path, "data");
        var effnetFolder = Path.Combine(temp.Path, "effnet");
        using (var effnet = EfficientNetEncoder.CreateForTraining(EfficientNetConfig.Tiny with { CLatent = 8 }, seed: 1)) effnet.Save(effnetFolder);
        var output = Path.Combine(temp.Path, "te");
        var result = Train("text-encoder", data, output, "--resolution", "64", "--text-encoder", PriorFolder, "--effnet", effnetFolder,
            "--latent-mean", "1", "--latent-std", "0", "--embed-dim", "8", "--image-head-width", "16");
        Assert.True(result.ExitCode == CliApp.ExitSuccess, result.Error);
        using (var heads = ContrastiveHeads.FromPretrained(Path.Combine(output, TextEncoderContrastiveObjective.HeadsFolder)))
            Assert.Equal((8, 24, 8, 16), (heads.LatentChannels, heads.TextDim, heads.EmbedDim, heads.Hidden));

        // --init continues the text encoder and the heads; the prior then takes it as its (frozen) text encoder.
        result = Train("text-encoder", data, Path.Combine(temp.Path, "te2"), "--resolution", "64", "--init", output, "--effnet", effnetFolder,
            "--latent-mean", "1", "--latent-std", "0");
        Assert.True(result.ExitCode == CliApp.ExitSuccess, result.Error);
        var prior = Path.Combine(temp.Path, "prior");
        result = Train("stage-c", data, prior, "--resolution", "64", "--text-encoder", output, "--effnet", effnetFolder,
            "--width", "32", "--depth", "1", "--heads", "4", "--latent-mean", "1", "--latent-std", "0");
        Assert.True(result.ExitCode == CliApp.ExitSuccess, result.Error);
        using (var trained = ClipTextModel.FromPretrained(Path.Combine(output, "text_encoder")))
        using (var inPrior = ClipTextModel.FromPretrained(Path.Combine(prior, "text_encoder")))
            AssertBitIdentical(Weights(trained), Weights(inPrior));

        result = Train("text-encoder", data, Path.Combine(temp.Path, "x"), "--resolution", "64", "--text-encoder", PriorFolder);
        Assert.NotEqual(CliApp.ExitSuccess, result.ExitCode);
        Assert.Contains("--effnet", result.Error);
        result = Train("text-encoder", data, Path.Combine(temp.Path, "y"), "--resolution", "64", "--text-encoder", PriorFolder,
            "--effnet", effnetFolder, "--temperature", "0");
        Assert.NotEqual(CliApp.ExitSuccess, result.ExitCode);
        Assert.Contains("--temperature", result.Error);
    }

    [Fact]
    public void BadSamplesAreNamedAndSkippedOrStopTheRun()
    {
        using var temp = Shapes(4);
        var data = Path.Combine(temp.Path, "data");
        File.WriteAllBytes(Path.Combine(data, "broken.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        File.WriteAllText(Path.Combine(data, "broken.txt"), "a broken image");
        File.Copy(Path.Combine(data, "000000.png"), Path.Combine(data, "uncaptioned.png"));

        var skip = Train("stage-a", data, Path.Combine(temp.Path, "skip"), "--resolution", "32", "--config", TinyVqGanConfig, "--steps", "5", "--batch", "1");
        Assert.True(skip.ExitCode == CliApp.ExitSuccess, skip.Error);
        Assert.Contains("uncaptioned.png", skip.Error);
        Assert.Contains("broken.png", skip.Error);                    // 5 single-image steps pass every sample of the first epoch

        var stop = Train("stage-a", data, Path.Combine(temp.Path, "stop"), "--resolution", "32", "--config", TinyVqGanConfig, "--on-bad-sample", "stop");
        Assert.Equal(CliApp.ExitFailure, stop.ExitCode);
        Assert.Contains("uncaptioned.png", stop.Error);               // found when the folder is indexed

        File.Delete(Path.Combine(data, "uncaptioned.png"));
        var output = Path.Combine(temp.Path, "stop2");
        var stop2 = Train("stage-a", data, output, "--resolution", "32", "--config", TinyVqGanConfig, "--on-bad-sample", "stop",
            "--steps", "5", "--batch", "1", "--checkpoint-every", "1", "--keep-checkpoints", "0");
        Assert.Equal(CliApp.ExitFailure, stop2.ExitCode);
        Assert.Contains("broken.png", stop2.Error);
        // Every checkpoint written before the failure is whole and loads; nothing half-written is left.
        foreach (var (_, path) in CheckpointFolder.List(output))
            using (PaellaVQModel.FromPretrained(Path.Combine(path, "vqgan"))) { }
        Assert.DoesNotContain(Directory.EnumerateDirectories(output), d => Path.GetFileName(d).StartsWith(".tmp", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(output, "vqgan")));  // no final export of a failed run
    }

    [Fact]
    public void UnknownChoicesAreUsageErrorsNamingTheOption()
    {
        using var temp = Shapes(2);
        var result = Train("stage-a", Path.Combine(temp.Path, "data"), Path.Combine(temp.Path, "out"), "--ema", "sometimes");
        Assert.Equal(CliApp.ExitUsage, result.ExitCode);
        Assert.Contains("--ema", result.Error);
        result = Train("stage-b", Path.Combine(temp.Path, "data"), Path.Combine(temp.Path, "out"));
        Assert.Equal(CliApp.ExitUsage, result.ExitCode);
        Assert.Contains("--init", result.Error);
    }

    [Fact]
    public void ProbabilitiesOutsideZeroToOneAreUsageErrorsNamingTheOption()
    {
        using var temp = Shapes(2, size: 64);
        string data = Path.Combine(temp.Path, "data"), output = Path.Combine(temp.Path, "out");
        var result = Train("stage-b", data, output, "--resolution", "64", "--init", DecoderFolder, "--effnet-dropout", "1.5");
        Assert.Equal(CliApp.ExitUsage, result.ExitCode);
        Assert.Contains("--effnet-dropout", result.Error);
        result = Train("stage-b", data, output, "--resolution", "64", "--init", DecoderFolder, "--caption-dropout", "-0.1");
        Assert.Equal(CliApp.ExitUsage, result.ExitCode);
        Assert.Contains("--caption-dropout", result.Error);
        result = Train("stage-b", data, output, "--resolution", "64", "--init", DecoderFolder, "--effnet-coarsen", "2");
        Assert.Equal(CliApp.ExitUsage, result.ExitCode);
        Assert.Contains("--effnet-coarsen", result.Error);
        result = Train("stage-b", data, output, "--resolution", "64", "--init", DecoderFolder, "--object-loss-weight", "-1");
        Assert.Equal(CliApp.ExitUsage, result.ExitCode);
        Assert.Contains("--object-loss-weight", result.Error);
        File.Move(Path.Combine(data, "metadata.jsonl"), Path.Combine(temp.Path, "moved.jsonl"));
        result = Train("stage-b", data, output, "--resolution", "64", "--init", DecoderFolder, "--object-loss-weight", "2");
        Assert.Equal(CliApp.ExitUsage, result.ExitCode);
        Assert.Contains("--object-loss-weight", result.Error);
        Assert.Contains("metadata.jsonl", result.Error);
        Assert.False(Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any(), "a rejected run wrote to its output");
    }
}

public class TrainCommandLoraAndResumeTests
{
    [Fact]
    public void LoraTrainsTwoStepsAndTheFileLoadsOntoThePrior()
    {
        using var temp = Shapes(4, size: 64);
        var effnetFolder = Path.Combine(temp.Path, "effnet");
        using (var effnet = EfficientNetEncoder.CreateForTraining(EfficientNetConfig.Tiny with { CLatent = 8 }, seed: 1)) effnet.Save(effnetFolder);
        var output = Path.Combine(temp.Path, "out");
        var result = TrainCommandTests.Train("lora", Path.Combine(temp.Path, "data"), output, "--resolution", "64", "--init", PriorFolder, "--effnet", effnetFolder, "--rank", "3");
        Assert.True(result.ExitCode == CliApp.ExitSuccess, result.Error);
        using var prior = WuerstchenPrior.FromPretrained(Path.Combine(PriorFolder, "prior"));
        using var lora = Wuerstchen.Models.Lora.PriorLora.Load(prior, Path.Combine(output, "pytorch_lora_weights.safetensors"));
        Assert.Equal(3, lora.Rank);
    }

    [Fact]
    public void AKilledProcessResumedWithResumeEndsWithTheSameWeightsAsAnUninterruptedRun()
    {
        using var temp = Shapes(4);
        var data = Path.Combine(temp.Path, "data");
        string[] Args(string output) => ["train", "stage-a", "--data", data, "--output", output, "--resolution", "32", "--batch", "1",
            "--steps", "12", "--checkpoint-every", "2", "--keep-checkpoints", "0", "--log-every", "1",
            "--config", Path.Combine(DecoderFolder, "vqgan", "config.json"), "--ema", "diffusers", "--seed", "5", "--threads", "1"];

        // A real process, killed once it has written its second checkpoint (mid-run: 6 are due).
        var killed = Path.Combine(temp.Path, "killed");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Wuerstchen.Cli.dll"));
        foreach (var arg in Args(killed)) start.ArgumentList.Add(arg);
        using (var process = Process.Start(start)!)
        {
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var clock = Stopwatch.StartNew();
            while (CheckpointFolder.List(killed).Count < 2 && !process.HasExited && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(5);
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        Assert.False(File.Exists(Path.Combine(killed, "vqgan", "config.json")), "the process finished before it could be killed");
        long resumedFrom = CheckpointFolder.Latest(killed)!.Value.Step;
        Assert.InRange(resumedFrom, 4, 10);

        var resumed = CliRunner.Run([.. Args(killed), "--resume"]);
        Assert.True(resumed.ExitCode == CliApp.ExitSuccess, resumed.Error);
        Assert.Contains($"resuming from", resumed.Error);
        var straight = Path.Combine(temp.Path, "straight");
        var uninterrupted = CliRunner.Run(Args(straight));
        Assert.True(uninterrupted.ExitCode == CliApp.ExitSuccess, uninterrupted.Error);

        using var a = PaellaVQModel.FromPretrained(Path.Combine(straight, "vqgan"));
        using var b = PaellaVQModel.FromPretrained(Path.Combine(killed, "vqgan"));
        AssertBitIdentical(Weights(a), Weights(b));
        Assert.Equal(12, File.ReadAllLines(Path.Combine(killed, "train_log.jsonl")).Length);
    }
}
