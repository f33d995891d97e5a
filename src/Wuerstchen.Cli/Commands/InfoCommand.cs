using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Wuerstchen.Pipelines;

namespace Wuerstchen.Cli.Commands;

/// <summary><c>wuerstchen info DIR</c>: what a pipeline (or single component) folder holds, from its JSON files and safetensors headers.</summary>
public static class InfoCommand
{
    public static Command Create(CliContext context)
    {
        var folder = new Argument<string>("DIR") { Description = "A diffusers pipeline folder (model_index.json + components) or one component folder." };
        var command = new Command("info", "Show a model folder's components, configurations, parameter counts and weight dtypes.") { folder };
        command.SetAction(parse => Run(context, parse.GetValue(folder)!));
        return command;
    }

    private static int Run(CliContext context, string path)
    {
        if (!Directory.Exists(path)) throw new CliUsageException("DIR", $"folder '{path}' does not exist.");
        var console = context.OutputConsole();
        if (File.Exists(Path.Combine(path, ModelFolder.IndexFileName)))
        {
            ModelFolder model;
            try { model = ModelFolder.Open(path); }
            catch (ModelFolderException e) { throw new CliUsageException("DIR", e.Message); }
            console.MarkupLineInterpolated($"[bold]{Path.GetFileName(model.Root)}[/]: {model.PipelineClass}");
            if (model.Constants.Count > 0)
                console.WriteLine("  " + string.Join(", ", model.Constants.Select(c => $"{c.Key} = {Format(c.Value)}")));
            foreach (var component in model.Components)
            {
                console.WriteLine();
                if (!Directory.Exists(component.Path))
                {
                    console.MarkupLineInterpolated($"[bold]{component.Name}[/] ({component.Library} {component.ClassName}): [red]folder missing[/]");
                    continue;
                }
                DescribeComponent(console, component.Name, $"{component.Library} {component.ClassName}", component.Path);
            }
        }
        else if (ConfigFiles.Any(f => File.Exists(Path.Combine(path, f))))
        {
            DescribeComponent(console, Path.GetFileName(Path.GetFullPath(path)), "component folder", path);
        }
        else
        {
            throw new CliUsageException("DIR", $"'{path}' has neither {ModelFolder.IndexFileName} nor a component configuration ({string.Join(", ", ConfigFiles)}).");
        }
        return CliApp.ExitSuccess;
    }

    private static readonly string[] ConfigFiles = ["config.json", "scheduler_config.json", "tokenizer_config.json"];

    private static void DescribeComponent(IAnsiConsole console, string name, string kind, string folder)
    {
        console.MarkupLineInterpolated($"[bold]{name}[/] ({kind})");
        foreach (var configFile in ConfigFiles)
        {
            string file = Path.Combine(folder, configFile);
            if (!File.Exists(file)) continue;
            console.WriteLine($"  {configFile}:");
            foreach (var line in WrapWords(SummariseConfig(file), 96)) console.WriteLine("    " + line);
        }

        var weights = WeightFileSummary.ReadFolder(folder);
        if (weights.Count == 0) return;
        var table = new Table().Border(TableBorder.Simple)
            .AddColumn("weights").AddColumn(new TableColumn("tensors").RightAligned())
            .AddColumn(new TableColumn("parameters").RightAligned()).AddColumn("dtypes").AddColumn(new TableColumn("size").RightAligned());
        foreach (var w in weights)
        {
            string dtypes = string.Join(", ", w.ElementsByDType.Select(d => $"{d.Key} {d.Value.ToString("N0", CultureInfo.InvariantCulture)}"));
            table.AddRow(
                Markup.Escape(Path.GetFileName(w.Path)),
                w.TensorCount.ToString(CultureInfo.InvariantCulture),
                w.ParameterCount.ToString("N0", CultureInfo.InvariantCulture) + (w.BufferCount > 0 ? $" (+{w.BufferCount.ToString("N0", CultureInfo.InvariantCulture)} buffer)" : ""),
                Markup.Escape(dtypes),
                FormatBytes(w.DataBytes));
        }
        console.Write(table);
    }

    /// <summary>The configuration's entries as <c>key=value</c> pairs, skipping the <c>_</c>-prefixed bookkeeping keys.</summary>
    private static string SummariseConfig(string file)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(file));
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return "(not a JSON object)";
            return string.Join(" ", doc.RootElement.EnumerateObject()
                .Where(p => !p.Name.StartsWith('_'))
                .Select(p => $"{p.Name}={CompactJson(p.Value)}"));
        }
        catch (JsonException e) { return $"(invalid JSON: {e.Message})"; }
    }

    private static IEnumerable<string> WrapWords(string text, int width)
    {
        var line = new System.Text.StringBuilder();
        foreach (var word in text.Split(' '))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width) { yield return line.ToString(); line.Clear(); }
            if (line.Length > 0) line.Append(' ');
            line.Append(word);
        }
        if (line.Length > 0) yield return line.ToString();
    }

    private static string CompactJson(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Array => "[" + string.Join(",", value.EnumerateArray().Select(CompactJson)) + "]",
        JsonValueKind.Object => value.TryGetProperty("content", out var content) ? CompactJson(content) : "{…}",
        _ => value.GetRawText(),
    };

    private static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):F2} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):F1} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:F1} KiB",
        _ => $"{bytes} B",
    };
}
