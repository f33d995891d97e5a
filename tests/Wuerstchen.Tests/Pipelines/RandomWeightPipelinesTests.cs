using Wuerstchen.Pipelines;
using Wuerstchen.Rng;
using Wuerstchen.Text;

namespace Wuerstchen.Tests.Pipelines;

/// <summary>
/// The compiled-in pipeline configs are the released ones (reconstructed files in reference/configs), and a
/// random-weight pipeline builds each component when its stage starts, as the loaded pipelines do.
/// </summary>
public class RandomWeightPipelinesTests
{
    [Fact]
    public void Compiled_in_configs_equal_the_released_folders()
    {
        Assert.Equal(PriorPipelineConfig.WarpAi, PriorPipelineConfig.FromFolder(Reference.Path_("configs", "warp-ai--wuerstchen-prior")));
        Assert.Equal(DecoderPipelineConfig.WarpAi, DecoderPipelineConfig.FromFolder(Reference.Path_("configs", "warp-ai--wuerstchen")));
        Assert.Equal(new DecoderConstants(10.67, 16), DecoderPipelineConfig.WarpAi.Constants);
    }

    [Fact]
    public void Components_are_built_per_stage_and_released_after_it()
    {
        var built = new List<string>();
        var options = new RandomWeightOptions { Built = (name, _) => built.Add(name) };
        var config = PriorPipelineConfig.FromFolder(Reference.Path_("tiny-wuerstchen-prior"));
        var tokenizer = ClipTokenizer.FromDirectory(Reference.Path_("tokenizer"));
        using var prior = RandomWeightPipelines.Prior(config, model => new ClipPromptEncoder(tokenizer, model), options);
        Assert.Empty(built);
        using (var result = prior.Run(new PriorRequest { Prompts = ["x"], Height = 128, Width = 128, NumInferenceSteps = 2 }, new TorchGenerator(1)))
            Assert.Equal([1, config.Prior.CIn, 3, 3], result.ImageEmbeddings.Shape.ToArray());
        Assert.Equal(["text_encoder", "prior"], built);
        Assert.False(prior.Prior.IsLoaded);
    }
}
