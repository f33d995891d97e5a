using Wuerstchen.Pipelines;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Pipelines;

public class PromptConditioningTests
{
    /// <summary>Encodes prompt i of its table as a [77, 1] row filled with i + 1 and records each call.</summary>
    private sealed class TableEncoder(params string[] table) : IPromptEncoder
    {
        public List<string[]> Calls { get; } = [];
        public Tensor Encode(IReadOnlyList<string> prompts, Action<string>? onTruncated = null)
        {
            Calls.Add([.. prompts]);
            var t = Tensor.Empty(prompts.Count, 77, 1);
            for (int b = 0; b < prompts.Count; b++)
                t.Narrow(0, b, 1).AsSpan().Fill(Array.IndexOf(table, prompts[b]) + 1);
            return t;
        }
        public void Dispose() { }
    }

    private static float[] RowIds(Tensor hidden) =>
        Enumerable.Range(0, hidden.Size(0)).Select(b => hidden[b, 0, 0]).ToArray();

    [Fact]
    public void Guided_batch_is_conditional_rows_then_unconditional_rows_in_the_same_order()
    {
        var encoder = new TableEncoder("p0", "p1", "n0", "n1");
        using var hidden = PromptConditioning.Build(encoder, ["p0", "p1"], null, ["n0", "n1"], null, guided: true,
            BatchRows.RepeatInterleave(2, 2), _ => { });
        // cond p0,p0,p1,p1 then uncond n0,n0,n1,n1 (diffusers' repeat_interleave and repeat(1,n,1).view).
        Assert.Equal([1f, 1, 2, 2, 3, 3, 4, 4], RowIds(hidden));
        Assert.Equal([["p0", "p1"], ["n0", "n1"]], encoder.Calls);
    }

    [Fact]
    public void Missing_negative_prompts_are_empty_strings()
    {
        var encoder = new TableEncoder("p0", "");
        using var hidden = PromptConditioning.Build(encoder, ["p0"], null, null, null, guided: true, [0], _ => { });
        Assert.Equal([1f, 2], RowIds(hidden));
        Assert.Equal([""], encoder.Calls[1]);
    }

    [Fact]
    public void Without_guidance_no_unconditional_pass_is_made()
    {
        var encoder = new TableEncoder("p0");
        using var hidden = PromptConditioning.Build(encoder, ["p0"], null, ["ignored"], null, guided: false, [0, 0], _ => { });
        Assert.Equal([1f, 1], RowIds(hidden));
        Assert.Single(encoder.Calls);
    }

    [Fact]
    public void Negative_prompt_count_must_match_the_prompts()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            PromptConditioning.Build(new TableEncoder("a", "b", "n"), ["a", "b"], null, ["n"], null, true, [0, 1], _ => { }));
        Assert.Contains("1 negative prompt(s) for 2 prompt(s)", e.Message);
    }

    [Fact]
    public void Given_embeddings_are_used_without_the_encoder()
    {
        using var embeds = Tensor.Full(5f, 1, 77, 1);
        using var negative = Tensor.Full(6f, 1, 77, 1);
        using var hidden = PromptConditioning.Build(null, null, embeds, null, negative, guided: true, [0, 0], _ => { });
        Assert.Equal([5f, 5, 6, 6], RowIds(hidden));
    }
}
