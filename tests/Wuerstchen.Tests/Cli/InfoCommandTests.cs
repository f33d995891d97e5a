namespace Wuerstchen.Tests.Cli;

public class InfoCommandTests
{
    [Fact]
    public void Lists_components_configs_parameter_counts_and_dtypes()
    {
        var r = CliRunner.Run("info", Reference.Path_("tiny-wuerstchen-prior"));
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("WuerstchenPriorPipeline", r.Output);
        Assert.Contains("latent_mean = 42", r.Output);
        Assert.Contains("prior (wuerstchen WuerstchenPrior)", r.Output);
        Assert.Contains("c=32 c_cond=24 c_in=8 c_r=16 depth=2", r.Output);
        // 33,264 parameters in each of the F32, F16 and BF16 files; the text encoder's position_ids are a buffer.
        Assert.Contains("diffusion_pytorch_model.fp16.safetensors", r.Output);
        Assert.Contains("F16 33,264", r.Output);
        Assert.Contains("BF16 33,264", r.Output);
        Assert.Contains("1,202,136 (+77 buffer)", r.Output);
    }

    [Fact]
    public void Describes_a_single_component_folder()
    {
        var r = CliRunner.Run("info", Reference.Path_("tiny-wuerstchen", "vqgan"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("scale_factor=0.3764", r.Output);
        Assert.Contains("diffusion_pytorch_model.safetensors", r.Output);
    }

    [Fact]
    public void A_folder_without_models_is_a_usage_error()
    {
        var r = CliRunner.Run("info", Reference.Path_("vectors"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("error: DIR:", r.Error);
        Assert.DoesNotContain("   at ", r.Error);
    }
}
