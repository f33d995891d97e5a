using System.CommandLine;
using Wuerstchen.Evaluation;
using Wuerstchen.Pipelines;

namespace Wuerstchen.Cli.Commands;

/// <summary>
/// <c>wuerstchen evaluate-adherence (--model DIR|default | --images DIR | --shapes-dataset DIR [--limit N]) [--output DIR]</c>:
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
        var output = new Option<string?>("--output") { Description = "Folder to save the report (adherence.json, adherence.md; with --model also images/) into." };
        var command = new Command("evaluate-adherence", "Score prompt adherence: dominant object colour and shape class recovered from pixels.")
        {
            model, images, dataset, limit, output,
        };
        command.SetAction(parse => parse.GetValue(model) is { } m
            ? RunModel(context, m, parse.GetValue(images), parse.GetValue(dataset), parse.GetValue(output))
            : Run(context, parse.GetValue(images), parse.GetValue(dataset), parse.GetValue(limit), parse.GetValue(output)));
        return command;
    }

    private static int Run(CliContext context, string? images, string? dataset, int? limit, string? output)
    {
        if ((images is null) == (dataset is null))
            throw new CliUsageException("--images", "give exactly one of --images DIR or --shapes-dataset DIR.");
        string folder = (images ?? dataset)!;
        if (!Directory.Exists(folder)) throw new CliUsageException(images is null ? "--shapes-dataset" : "--images", $"folder '{folder}' does not exist.");
        if (limit is <= 0) throw new CliUsageException("--limit", $"must be positive, got {limit}.");
        var report = images is not null
            ? AdherenceEvaluation.ScoreFolder(images)
            : AdherenceEvaluation.ScoreShapesDataset(dataset!, limit);
        if (output is not null) report.Save(output);
        context.Output.WriteLine(report.Summary);
        return CliApp.ExitSuccess;
    }

    private static int RunModel(CliContext context, string model, string? images, string? dataset, string? output)
    {
        if (images is not null || dataset is not null)
            throw new CliUsageException("--model", "give exactly one of --model, --images or --shapes-dataset.");
        DefaultModel found;
        try
        {
            found = model == "default" ? DefaultModel.Find() : DefaultModel.Open(model, $"--model '{model}'");
        }
        catch (ModelFolderException e)
        {
            throw new CliUsageException("--model", e.Message);
        }
        var prompts = AdherencePromptSet.Default;
        var progress = new Progress<int>(n => context.Error.WriteLine($"{n}/{prompts.Count} prompts"));
        var report = ModelAdherence.Run(found, prompts, output is null ? null : Path.Combine(output, "images"), progress);
        if (output is not null) report.Save(output);
        context.Output.WriteLine(report.Summary);
        return CliApp.ExitSuccess;
    }
}
