using System.Text.Json;
using Wuerstchen.IO.SafeTensors;

namespace Wuerstchen.Tests.Cli;

public class TokenizeCommandTests
{
    [Fact]
    public void Json_output_has_the_ids_and_mask_the_pipelines_recorded()
    {
        using var run = SafeTensorsFile.Open(Reference.Vectors("pipeline_prior_a.safetensors"));
        var ids = run.ReadInt64("prior_te.prompt.input_ids")[..77];
        var mask = run.ReadInt64("prior_te.prompt.attention_mask")[..77];

        var r = CliRunner.Run("tokenize", "--tokenizer", Reference.Path_("tiny-wuerstchen-prior"), "--json", "a photo of a red fox in the snow");

        Assert.True(r.ExitCode == 0, r.Error);
        using var json = JsonDocument.Parse(r.Output);
        Assert.Equal(["input_ids", "attention_mask"], json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(ids, json.RootElement.GetProperty("input_ids").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(mask, json.RootElement.GetProperty("attention_mask").EnumerateArray().Select(e => e.GetInt64()));
    }

    [Fact]
    public void Plain_output_shows_ids_tokens_and_truncation()
    {
        var r = CliRunner.Run("tokenize", "--tokenizer", Reference.Path_("tokenizer"), "a red fox");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("49406 320 736 3240 49407 + 72 × 49407", r.Output);
        Assert.Contains("<|startoftext|> a</w> red</w> fox</w> <|endoftext|>", r.Output);
        Assert.Contains("truncated: no", r.Output);

        var longPrompt = string.Join(' ', Enumerable.Repeat("fox", 80));
        var truncated = CliRunner.Run("tokenize", "--tokenizer", Reference.Path_("tokenizer"), longPrompt);
        Assert.Contains("truncated: yes, 5 tokens cut off: \"fox fox fox fox fox\"", truncated.Output);
    }

    [Fact]
    public void Missing_or_wrong_tokenizer_is_a_usage_error_naming_the_option()
    {
        var missing = CliRunner.Run("tokenize", "a red fox");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--tokenizer", missing.Error);

        var wrong = CliRunner.Run("tokenize", "--tokenizer", Reference.Path_("vectors"), "a red fox");
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("error: --tokenizer:", wrong.Error);
    }
}
