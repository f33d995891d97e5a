using Wuerstchen.Data.Shapes;
using Wuerstchen.Tests.IO;
using Wuerstchen.Text;

namespace Wuerstchen.Tests.Cli;

/// <summary><c>wuerstchen make-tokenizer</c> reads each kind of caption corpus and writes a loadable tokenizer folder.</summary>
public sealed class MakeTokenizerCommandTests
{
    private static string[] Captions(int count)
    {
        var sampler = new ShapeSceneSampler();
        return Enumerable.Range(0, count).Select(i => ShapesSample.Generate(5, i, sampler).Caption).ToArray();
    }

    [Fact]
    public void Metadata_jsonl_txt_files_and_a_plain_file_give_the_same_tokenizer()
    {
        using var temp = new TempFolder();
        var captions = Captions(60);
        string jsonl = Directory.CreateDirectory(temp.File("jsonl")).FullName;
        File.WriteAllLines(Path.Combine(jsonl, "metadata.jsonl"),
            captions.Select((c, i) => $"{{\"file_name\": \"{i:D6}.png\", \"text\": \"{c}\"}}"));
        string txt = Directory.CreateDirectory(temp.File("txt")).FullName;
        for (int i = 0; i < captions.Length; i++) File.WriteAllText(Path.Combine(txt, $"{i:D6}.txt"), captions[i]);
        string lines = temp.File("captions.txt");
        File.WriteAllLines(lines, captions);

        var outputs = new List<string>();
        foreach (string source in new[] { jsonl, txt, lines })
        {
            string output = temp.File("tok-" + outputs.Count);
            var r = CliRunner.Run("make-tokenizer", "--captions", source, "--vocab-size", "560", "--output", output);
            Assert.True(r.ExitCode == 0, r.Error);
            Assert.Contains("560-token vocabulary", r.Output);
            Assert.Equal(560, ClipTokenizer.FromDirectory(output).VocabSize);
            outputs.Add(output);
        }
        foreach (string output in outputs.Skip(1))
            Assert.Equal(File.ReadAllBytes(Path.Combine(outputs[0], "merges.txt")), File.ReadAllBytes(Path.Combine(output, "merges.txt")));
    }

    [Fact]
    public void Bad_arguments_name_the_option_or_the_file()
    {
        using var temp = new TempFolder();
        var small = CliRunner.Run("make-tokenizer", "--captions", temp.Path, "--vocab-size", "100", "--output", temp.File("out"));
        Assert.Equal(2, small.ExitCode);
        Assert.Contains("--vocab-size", small.Error);

        var empty = CliRunner.Run("make-tokenizer", "--captions", temp.Path, "--output", temp.File("out"));
        Assert.Equal(2, empty.ExitCode);
        Assert.Contains("--captions", empty.Error);

        string broken = temp.File("broken.jsonl");
        File.WriteAllLines(broken, ["{\"text\": \"a red circle\"}", "{\"file_name\": \"x.png\"}"]);
        var r = CliRunner.Run("make-tokenizer", "--captions", broken, "--output", temp.File("out"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"{broken}:2", r.Error);
    }
}
