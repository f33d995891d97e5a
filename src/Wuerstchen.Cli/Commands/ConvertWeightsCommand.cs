using System.CommandLine;
using Wuerstchen.IO.SafeTensors;

namespace Wuerstchen.Cli.Commands;

/// <summary>
/// <c>wuerstchen convert-weights PATH... --dtype f16|bf16|f32</c>: rewrites safetensors weights (files, or every
/// <c>*.safetensors</c> under folders) in another precision, in place, e.g. to ship a trained model at half size.
/// </summary>
public static class ConvertWeightsCommand
{
    public static Command Create(CliContext context)
    {
        var paths = new Argument<string[]>("PATH") { Description = "Safetensors files or folders (searched recursively).", Arity = ArgumentArity.OneOrMore };
        var dtype = new Option<string>("--dtype") { Description = "Target precision of the floating-point tensors: f32, f16 or bf16.", Required = true };
        var command = new Command("convert-weights", "Rewrite safetensors weights in another precision, in place (atomically).") { paths, dtype };
        command.SetAction(parse => Run(context, parse.GetValue(paths)!, parse.GetValue(dtype)!));
        return command;
    }

    private static int Run(CliContext context, string[] paths, string dtypeName)
    {
        var dtype = dtypeName.ToLowerInvariant() switch
        {
            "f32" => SafeTensorsDType.F32,
            "f16" => SafeTensorsDType.F16,
            "bf16" => SafeTensorsDType.BF16,
            _ => throw new CliUsageException("--dtype", $"'{dtypeName}' is not f32, f16 or bf16."),
        };
        var files = new List<string>();
        foreach (var p in paths)
        {
            if (File.Exists(p)) files.Add(p);
            else if (Directory.Exists(p)) files.AddRange(Directory.EnumerateFiles(p, "*.safetensors", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
            else throw new CliUsageException("PATH", $"'{p}' is neither a file nor a folder.");
        }
        foreach (var f in files)
        {
            int n = SafeTensorsConverter.ConvertInPlace(f, dtype);
            context.Output.WriteLine($"{f}: {n} tensor(s) → {dtype}");
        }
        return CliApp.ExitSuccess;
    }
}
