using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Wuerstchen.Text;

namespace Wuerstchen.Cli.Commands;

/// <summary>
/// <c>wuerstchen make-tokenizer --captions FILE|DIR --vocab-size N --output DIR</c>: trains a byte-level BPE
/// vocabulary in CLIP's format on a caption corpus (<see cref="BpeVocabularyBuilder"/>), for models trained from
/// scratch that must not ship CLIP's own vocabulary.
/// </summary>
public static class MakeTokenizerCommand
{
    public const int DefaultVocabSize = 1024;

    public static Command Create(CliContext context)
    {
        var captions = new Option<string>("--captions")
        {
            Description = "A dataset folder (metadata.jsonl, or one .txt caption per image), a .jsonl file ('text' field) or a text file (one caption a line).",
            Required = true,
        };
        var vocabSize = new Option<int>("--vocab-size")
        {
            Description = $"Tokens in the vocabulary, including the 512 byte tokens and 2 special tokens (at least {BpeVocabulary.MinimumSize}).",
            DefaultValueFactory = _ => DefaultVocabSize,
        };
        var output = new Option<string>("--output") { Description = "Folder to write vocab.json, merges.txt, tokenizer_config.json and special_tokens_map.json into.", Required = true };
        var command = new Command("make-tokenizer", "Train a CLIP-format byte-level BPE tokenizer on a caption corpus.") { captions, vocabSize, output };
        command.SetAction(parse => Run(context, parse.GetValue(captions)!, parse.GetValue(vocabSize), parse.GetValue(output)!));
        return command;
    }

    private static int Run(CliContext context, string captionsPath, int vocabSize, string output)
    {
        if (vocabSize < BpeVocabulary.MinimumSize)
            throw new CliUsageException("--vocab-size", $"must be at least {BpeVocabulary.MinimumSize} (256 bytes, 256 word-final bytes, 2 special tokens), got {vocabSize}.");
        if (File.Exists(output)) throw new CliUsageException("--output", $"'{output}' is a file; expected a folder.");
        var clock = Stopwatch.StartNew();
        var captions = MakeTokenizerCaptions.Read(captionsPath);
        var vocabulary = BpeVocabularyBuilder.Train(captions, vocabSize);
        vocabulary.Save(output);
        context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote a {vocabulary.Count}-token vocabulary ({vocabulary.Merges.Count} merges) learned from {captions.Count} captions to {Path.GetFullPath(output)} in {clock.Elapsed.TotalSeconds:F1} s"));
        if (vocabulary.Count < vocabSize)
            context.Error.WriteLine($"note: the corpus ran out of pairs to merge before {vocabSize} tokens; every word is already one token.");
        return CliApp.ExitSuccess;
    }
}
