using Wuerstchen.Models;

namespace Wuerstchen.Tests.Models;

public class ClipTextModelTests
{
    // vectors/README.md: text encoders last_hidden_state 1e-4 / 1e-4.
    [Theory]
    [InlineData("prior_te", "tiny-wuerstchen-prior")]
    [InlineData("decoder_te", "tiny-wuerstchen")]
    public void Forward_WithPaddingMask_MatchesReference(string name, string repo)
    {
        using var v = new ReferenceVectors("text_encoders.safetensors", 1e-4, 1e-4);
        using var te = ClipTextModel.FromPretrained(Reference.Path_(repo, "text_encoder"));
        var ids = v.ReadInts($"{name}.input_ids");
        var mask = v.ReadInts($"{name}.attention_mask");
        int batch = ids.Length / 77;
        Assert.Contains(0, mask);   // the prompts include padding, so the mask matters

        using var hidden = te.Forward(ids, mask, batch, (n, t) => { if (n == "embeddings") v.AssertClose($"{name}.embeddings", t); });
        v.AssertClose($"{name}.last_hidden_state", hidden);
        v.AssertCompared($"{name}.embeddings");

        using var unmasked = te.Forward(ids, [], batch);
        v.AssertClose($"{name}.last_hidden_state_no_attention_mask", unmasked);
    }

    [Fact]
    public void Forward_ValidatesIdsAndMask()
    {
        using var te = ClipTextModel.FromPretrained(ModelFolders.TinyDecoderTextEncoder);
        var ids = new int[2 * 77];
        Assert.Contains("batch size 3", Assert.Throws<ArgumentException>(() => te.Forward(ids, [], 3)).Message);
        Assert.Contains("attention_mask has 5 entries", Assert.Throws<ArgumentException>(() => te.Forward(ids, new int[5], 2)).Message);
        ids[3] = 49408;
        Assert.Contains("outside the vocabulary", Assert.Throws<ArgumentOutOfRangeException>(() => te.Forward(ids, [], 2)).Message);
        Assert.Contains("exceeds max_position_embeddings 77", Assert.Throws<ArgumentException>(() => te.Forward(new int[78], [], 1)).Message);
    }
}
