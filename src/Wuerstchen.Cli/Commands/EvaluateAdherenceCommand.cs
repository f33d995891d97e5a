using System.CommandLine;
using Wuerstchen.Data.Shapes;
using Wuerstchen.Evaluation;
using Wuerstchen.Pipelines;

namespace Wuerstchen.Cli.Commands;

/// <summary>
/// <c>wuerstchen evaluate-adherence (--model DIR|default [--probe DIR | --true-embeddings DATASET --effnet DIR] | --images DIR | --shapes-dataset DIR [--limit N]) [--rounds N] [--output DIR]</c>:
/// scores prompt adherence (object colour and shape class recovered from pixels) of a model (generating the fixed
/// prompt set), of images already generated for that set, or of a shapes dataset (a check of the analyser itself).
/// </summary>
public static class EvaluateAdherenceCommand
{
    public static Command Create(CliContext context)
    {
        var images = new Option<string?>("--images") { Description = "A folder of images generated for the fixed prompt set (file names as AdherencePrompt.ImageFileName)." };
        var dataset = new Option<string?>("--shapes-dataset") { Description = "A folder written by 'make-dataset shapes' (scores the analyser against the known attributes)." };
        var model = new Option<string?>("--model") { Description = "Generate the fixed prompt set with this model (a folder with prior/, decoder/ and defaults.json, or 'default' for the default model) and score it." };
        var limit = new Option<int?>("--limit") { Description = "Score only the first N samples of --shapes-dataset." };
        var probe = new Option<string?>("--probe")
        {
            Description = "With --model: also read each prompt's prior latent with the compressor's shape probes (an effnet_labels folder, or a 'train effnet --label-weight' output), to tell the prior's wrong shapes from Stage B's.",
        };
        var trueEmbeddings = new Option<string?>("--true-embeddings")
        {
            Description = "With --model and --effnet: draw each prompt with the model's decoder from the compressor's embedding of a picture in this shapes dataset that shows what the prompt asks (one object, a plain background preferred), instead of from the prior: Stage B's score under a perfect prior.",
        };
        var effnet = new Option<string?>("--effnet") { Description = "With --true-embeddings: the semantic compressor the model's decoder was trained on (an effnet folder, or a folder holding effnet/)." };
        var objectSize = new Option<string>("--object-size")
        {
            Description = "With --true-embeddings: which object size to pick from the dataset first, 'large' or 'small'.",
            DefaultValueFactory = _ => "large",
        };
        var rounds = new Option<int>("--rounds")
        {
            Description = "Score the prompt set this many times, each round with further seeds (round 0 is the reported set): one round's score moves by 2.1 % per lucky or unlucky seed.",
            DefaultValueFactory = _ => 1,
        };
        var output = new Option<string?>("--output") { Description = "Folder to save the report (adherence.json, adherence.md; with --model also images/) into." };
        var command = new Command("evaluate-adherence", "Score prompt adherence: dominant object colour and shape class recovered from pixels.")
        {
            model, images, dataset, limit, probe, trueEmbeddings, effnet, objectSize, rounds, output,
        };
        command.SetAction(parse =>
        {
            int n = parse.GetValue(rounds);
            if (n < 1) throw new CliUsageException("--rounds", $"must be at least 1, got {n}.");
            var prompts = AdherencePromptSet.Rounds(n);
            if (parse.GetValue(model) is not { } m)
            {
                if (parse.GetValue(trueEmbeddings) is not null) throw new CliUsageException("--true-embeddings", "decodes with a model's decoder, so it needs --model.");
                if (n > 1 && parse.GetValue(dataset) is not null) throw new CliUsageException("--rounds", "repeats the prompt set; --shapes-dataset scores the dataset's own pictures.");
                return Run(context, parse.GetValue(images), parse.GetValue(dataset), parse.GetValue(limit), parse.GetValue(probe), prompts, parse.GetValue(output));
            }
            if (parse.GetValue(trueEmbeddings) is { } folder)
                return RunTrueEmbeddings(context, m, folder, parse.GetValue(effnet), parse.GetValue(objectSize)!, parse.GetValue(probe), prompts, parse.GetValue(output));
            if (parse.GetValue(effnet) is not null) throw new CliUsageException("--effnet", "is the compressor for --true-embeddings; give that too.");
            return RunModel(context, m, parse.GetValue(images), parse.GetValue(dataset), parse.GetValue(probe), prompts, parse.GetValue(output));
        });
        return command;
    }

    private static int RunTrueEmbeddings(CliContext context, string model, string datasetFolder, string? effnet, string objectSize, string? probe,
        IReadOnlyList<AdherencePrompt> prompts, string? output)
    {
        if (probe is not null) throw new CliUsageException("--probe", "reads the prior's latents; --true-embeddings does not run the prior.");
        if (effnet is null) throw new CliUsageException("--effnet", "--true-embeddings needs the compressor that encodes the dataset's pictures.");
        if (!Directory.Exists(datasetFolder)) throw new CliUsageException("--true-embeddings", $"folder '{datasetFolder}' does not exist.");
        var size = objectSize switch
        {
            "large" => ShapeSize.Large,
            "small" => ShapeSize.Small,
            _ => throw new CliUsageException("--object-size", $"must be 'large' or 'small', got '{objectSize}'."),
        };
        var found = OpenModel(model);
        using var codec = EncodeDecodeInputs.LoadEffnet("--effnet", effnet);
        var progress = new Progress<int>(n => context.Error.WriteLine($"{n}/{prompts.Count} prompts"));
        AdherenceReport report;
        try
        {
            report = TrueEmbeddingAdherence.Run(found, codec, datasetFolder, size, prompts, output is null ? null : Path.Combine(output, "images"), progress);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or ArgumentException)
        {
            throw new CliUsageException("--true-embeddings", e.Message);
        }
        if (output is not null) report.Save(output);
        context.Output.WriteLine($"Stage B from true embeddings ({objectSize} objects first): {report.Summary}");
        context.Output.WriteLine(report.ShapeSummary);
        return CliApp.ExitSuccess;
    }

    private static DefaultModel OpenModel(string model)
    {
        try
        {
            return model == "default" ? DefaultModel.Find() : DefaultModel.Open(model, $"--model '{model}'");
        }
        catch (ModelFolderException e)
        {
            throw new CliUsageException("--model", e.Message);
        }
    }

    private static int Run(CliContext context, string? images, string? dataset, int? limit, string? probe, IReadOnlyList<AdherencePrompt> prompts, string? output)
    {
        if (probe is not null) throw new CliUsageException("--probe", "reads the prior's latents, so it needs --model.");
        if ((images is null) == (dataset is null))
            throw new CliUsageException("--images", "give exactly one of --images DIR or --shapes-dataset DIR.");
        string folder = (images ?? dataset)!;
        if (!Directory.Exists(folder)) throw new CliUsageException(images is null ? "--shapes-dataset" : "--images", $"folder '{folder}' does not exist.");
        if (limit is <= 0) throw new CliUsageException("--limit", $"must be positive, got {limit}.");
        var report = images is not null
            ? AdherenceEvaluation.ScoreFolder(images, prompts)
            : AdherenceEvaluation.ScoreShapesDataset(dataset!, limit);
        if (output is not null) report.Save(output);
        context.Output.WriteLine(report.Summary);
        context.Output.WriteLine(report.ShapeSummary);
        return CliApp.ExitSuccess;
    }

    private static int RunModel(CliContext context, string model, string? images, string? dataset, string? probeFolder, IReadOnlyList<AdherencePrompt> prompts, string? output)
    {
        if (images is not null || dataset is not null)
            throw new CliUsageException("--model", "give exactly one of --model, --images or --shapes-dataset.");
        var found = OpenModel(model);
        var progress = new Progress<int>(n => context.Error.WriteLine($"{n}/{prompts.Count} prompts"));
        using var probe = probeFolder is null ? null : LoadProbe(probeFolder);
        var report = ModelAdherence.Run(found, prompts, output is null ? null : Path.Combine(output, "images"), progress, probe);
        if (output is not null) report.Save(output);
        context.Output.WriteLine(report.Summary);
        context.Output.WriteLine(report.ShapeSummary);
        if (report.ProbeSummary is { } line) context.Output.WriteLine(line);
        return CliApp.ExitSuccess;
    }

    private static EmbeddingShapeProbe LoadProbe(string folder)
    {
        try { return EmbeddingShapeProbe.FromFolder(folder); }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException)
        {
            throw new CliUsageException("--probe", e.Message);
        }
    }
}
