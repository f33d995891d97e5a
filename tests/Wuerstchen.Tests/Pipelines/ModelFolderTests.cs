using Wuerstchen.Pipelines;

namespace Wuerstchen.Tests.Pipelines;

public class ModelFolderTests
{
    [Fact]
    public void Prior_folder_lists_components_and_constants()
    {
        var folder = ModelFolder.Open(Reference.Path_("tiny-wuerstchen-prior"), WuerstchenPriorPipeline.PipelineClassName);
        Assert.Equal("WuerstchenPriorPipeline", folder.PipelineClass);
        Assert.Equal(["prior", "scheduler", "text_encoder", "tokenizer"], folder.Components.Select(c => c.Name).Order());
        Assert.Equal("WuerstchenPrior", folder.GetComponent("prior").ClassName);
        Assert.Equal(42.0, folder.GetConstant("latent_mean", 0));
        Assert.Equal(42.67, folder.GetConstant("resolution_multiple", 0));
        Assert.Equal(new PriorConstants(42.0, 1.0, 42.67), PriorConstants.From(folder));
        Assert.True(Directory.Exists(folder.ComponentPath("text_encoder")));
    }

    [Fact]
    public void Decoder_constants_come_from_model_index_and_decoder_config()
    {
        var folder = ModelFolder.Open(Reference.Path_("tiny-wuerstchen"), WuerstchenDecoderPipeline.PipelineClassName);
        Assert.Equal(new DecoderConstants(10.67, 16), DecoderConstants.From(folder));
        var real = ModelFolder.Open(Reference.Path_("configs", "warp-ai--wuerstchen"));
        Assert.Equal(new DecoderConstants(10.67, 16), DecoderConstants.From(real));
    }

    [Fact]
    public void Absent_constants_fall_back_to_the_given_default()
    {
        var folder = ModelFolder.Open(Reference.Path_("tiny-wuerstchen"));
        Assert.Equal(7.5, folder.GetConstant("latent_mean", 7.5));
    }

    [Fact]
    public void Swapped_folders_are_reported_by_pipeline_class()
    {
        var e = Assert.Throws<ModelFolderException>(() =>
            ModelFolder.Open(Reference.Path_("tiny-wuerstchen"), WuerstchenPriorPipeline.PipelineClassName));
        Assert.Contains("WuerstchenDecoderPipeline", e.Message);
        Assert.Contains("WuerstchenPriorPipeline folder is needed", e.Message);
    }

    [Fact]
    public void A_component_folder_is_recognised_as_such()
    {
        var e = Assert.Throws<ModelFolderException>(() => ModelFolder.Open(Reference.Path_("tiny-wuerstchen", "decoder")));
        Assert.Contains("no model_index.json", e.Message);
        Assert.Contains("single component folder", e.Message);
    }

    [Fact]
    public void Missing_folder_and_missing_component_are_named()
    {
        var missing = Assert.Throws<ModelFolderException>(() => ModelFolder.Open("/nonexistent/wuerstchen"));
        Assert.Contains("/nonexistent/wuerstchen", missing.Message);
        var folder = ModelFolder.Open(Reference.Path_("tiny-wuerstchen"));
        var component = Assert.Throws<ModelFolderException>(() => folder.ComponentPath("prior"));
        Assert.Contains("no component 'prior'", component.Message);
    }

    [Fact]
    public void Listed_component_without_folder_is_an_error()
    {
        string dir = Directory.CreateTempSubdirectory("wuerstchen-folder-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "model_index.json"),
                """{"_class_name": "WuerstchenPriorPipeline", "prior": ["wuerstchen", "WuerstchenPrior"], "feature_extractor": [null, null]}""");
            var folder = ModelFolder.Open(dir);
            Assert.False(folder.HasComponent("feature_extractor"));
            var e = Assert.Throws<ModelFolderException>(() => folder.ComponentPath("prior"));
            Assert.Contains("folder", e.Message);
            Assert.Contains("missing", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Malformed_index_names_the_file()
    {
        string dir = Directory.CreateTempSubdirectory("wuerstchen-folder-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "model_index.json"), "{ not json");
            var e = Assert.Throws<ModelFolderException>(() => ModelFolder.Open(dir));
            Assert.Contains("model_index.json", e.Message);
            File.WriteAllText(Path.Combine(dir, "model_index.json"), """{"prior": ["wuerstchen", "WuerstchenPrior"]}""");
            Assert.Contains("_class_name", Assert.Throws<ModelFolderException>(() => ModelFolder.Open(dir)).Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
