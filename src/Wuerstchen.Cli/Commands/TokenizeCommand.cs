using System.CommandLine;
using System.Text.Json;
using Wuerstchen.Pipelines;
using Wuerstchen.Text;

namespace Wuerstchen.Cli.Commands;

/// <summary><c>wuerstchen tokenize --tokenizer DIR [--json] TEXT</c>: the ids the text encoders would see.</summary>
public static class TokenizeCommand
{
    public static Command Create(CliContext context)
    {
        var tokenizer = new Option<string>("--tokenizer")
        {
            Description = "A CLIP tokenizer folder (vocab.json, merges.txt), or a pipeline folder whose tokenizer to use.",
            Required = true,
        };
        var json = new Option<bool>("--json") { Description = "Print {\"input_ids\": [77 ids], \"attention_mask\": [77]} only." };
        var text = new Argument<string>("TEXT") { Description = "The prompt to tokenize." };
        var command = new Command("tokenize", "Show the CLIP token ids and token strings of a prompt (padded/truncated to 77 like the pipelines).")
        {
            tokenizer, json, text,
        };
        command.SetAction(parse => Run(context, parse.GetValue(tokenizer)!, parse.GetValue(json), parse.GetValue(text)!));
        return command;
    }

    private static int Run(CliContext context, string folder, bool asJson, string text)
    {
        var tokenizer = Load(folder);
        var encoding = tokenizer.Encode(text);
        if (asJson)
        {
            context.Output.WriteLine(JsonSerializer.Serialize(new Dictionary<string, int[]>
            {
                ["input_ids"] = encoding.InputIds,
                ["attention_mask"] = encoding.AttentionMask,
            }));
            return CliApp.ExitSuccess;
        }

        var output = context.Output;
        int padding = encoding.InputIds.Length - encoding.Length;
        output.WriteLine($"input_ids ({encoding.Length} tokens incl. BOS/EOS, padded with {tokenizer.PadTokenId} to {encoding.InputIds.Length}):");
        output.WriteLine("  " + string.Join(' ', encoding.InputIds.Take(encoding.Length)) + (padding > 0 ? $" + {padding} × {tokenizer.PadTokenId}" : ""));
        output.WriteLine("tokens:");
        output.WriteLine("  " + string.Join(' ', tokenizer.GetTokens(encoding.InputIds.AsSpan(0, encoding.Length))));
        output.WriteLine(encoding.Truncated
            ? $"truncated: yes, {encoding.TruncatedIds.Length} tokens cut off: \"{tokenizer.Decode(encoding.TruncatedIds)}\""
            : "truncated: no");
        return CliApp.ExitSuccess;
    }

    private static ClipTokenizer Load(string folder)
    {
        if (!Directory.Exists(folder)) throw new CliUsageException("--tokenizer", $"folder '{folder}' does not exist.");
        string tokenizerFolder = folder;
        if (File.Exists(Path.Combine(folder, ModelFolder.IndexFileName)))
        {
            try { tokenizerFolder = ModelFolder.Open(folder).ComponentPath("tokenizer"); }
            catch (ModelFolderException e) { throw new CliUsageException("--tokenizer", e.Message); }
        }
        if (!File.Exists(Path.Combine(tokenizerFolder, ClipTokenizer.VocabFile)))
            throw new CliUsageException("--tokenizer", $"'{folder}' is neither a tokenizer folder (no {ClipTokenizer.VocabFile}) nor a pipeline folder.");
        return ClipTokenizer.FromDirectory(tokenizerFolder);
    }
}
