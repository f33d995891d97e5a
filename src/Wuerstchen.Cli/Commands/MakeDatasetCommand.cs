using System.CommandLine;
using Wuerstchen.Data.Shapes;

namespace Wuerstchen.Cli.Commands;

/// <summary><c>wuerstchen make-dataset shapes --count N --size S --output DIR [--seed S]</c>: the procedural captioned-shapes dataset.</summary>
public static class MakeDatasetCommand
{
    public static Command Create(CliContext context)
    {
        var count = new Option<int>("--count") { Description = "Number of image/caption pairs.", Required = true };
        var size = new Option<int>("--size") { Description = "Image side in pixels.", DefaultValueFactory = _ => 64 };
        var output = new Option<string>("--output") { Description = "An empty or new folder to write NNNNNN.png, NNNNNN.txt and metadata.jsonl into.", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the scene sampler (sample i depends only on seed and i).", DefaultValueFactory = _ => 0 };
        var shapes = new Command("shapes", "Coloured shapes (circle, square, triangle, diamond, star, cross) on plain or gradient backgrounds, with matching captions.")
        {
            count, size, output, seed,
        };
        shapes.SetAction(parse => Run(context, parse.GetValue(count), parse.GetValue(size), parse.GetValue(output)!, parse.GetValue(seed)));
        return new Command("make-dataset", "Write a procedural training dataset.") { shapes };
    }

    private static int Run(CliContext context, int count, int size, string output, ulong seed)
    {
        if (count <= 0) throw new CliUsageException("--count", $"must be positive, got {count}.");
        if (size is < 16 or > 4096) throw new CliUsageException("--size", $"must be between 16 and 4096 pixels, got {size}.");
        if (Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any())
            throw new CliUsageException("--output", $"folder '{output}' is not empty.");
        var progress = new Progress<int>(done =>
        {
            if (done % 1000 == 0 || done == count) context.Error.WriteLine($"{done}/{count} samples");
        });
        var summary = ShapesDatasetWriter.Write(output, count, size, seed, null, progress);
        context.Output.WriteLine($"wrote {summary.Count} samples of {summary.Size}×{summary.Size} to {summary.Folder} (seed {summary.Seed}) in {summary.Elapsed.TotalSeconds:F1} s");
        return CliApp.ExitSuccess;
    }
}
